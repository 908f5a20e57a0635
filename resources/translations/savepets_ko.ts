<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ko_KR">
<context>
    <name>AlreadyStep</name>
    <message>
        <location filename="../../ui/register_already.py" line="18"/>
        <source>This dog is already registered</source>
        <translation>이미 등록된 강아지입니다</translation>
    </message>
    <message>
        <location filename="../../ui/register_already.py" line="20"/>
        <source>A dog cannot be registered twice. This is the registration found:</source>
        <translation>같은 강아지를 두 번 등록할 수 없습니다. 찾은 등록 정보:</translation>
    </message>
    <message>
        <location filename="../../ui/register_already.py" line="24"/>
        <source>Start over</source>
        <translation>처음부터 다시</translation>
    </message>
</context>
<context>
    <name>AuditPage</name>
    <message>
        <location filename="../../ui/audit_page.py" line="35"/>
        <source>Look-up</source>
        <translation>조회</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="36"/>
        <source>Contact shown</source>
        <translation>연락처 열람</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="37"/>
        <source>Registration</source>
        <translation>등록</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="38"/>
        <source>Details changed</source>
        <translation>정보 수정</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="39"/>
        <source>Status changed</source>
        <translation>상태 변경</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="40"/>
        <source>Registration removed</source>
        <translation>등록 삭제</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="41"/>
        <source>Review decided</source>
        <translation>검토 결정</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="42"/>
        <source>Owner&apos;s data exported</source>
        <translation>보호자 정보 내보내기</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="43"/>
        <source>Owner&apos;s data erased</source>
        <translation>보호자 정보 삭제</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="44"/>
        <source>Backup</source>
        <translation>백업</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="45"/>
        <source>Restore</source>
        <translation>복원</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="46"/>
        <source>Signed in</source>
        <translation>로그인</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="47"/>
        <source>Sign-in refused</source>
        <translation>로그인 거부</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="48"/>
        <source>Account locked (wrong PINs)</source>
        <translation>계정 잠금 (PIN 오류)</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="49"/>
        <source>Kiosk locked</source>
        <translation>키오스크 잠금</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="50"/>
        <source>Signed out</source>
        <translation>로그아웃</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="51"/>
        <source>Staff account made</source>
        <translation>직원 계정 생성</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="52"/>
        <source>Staff account disabled</source>
        <translation>직원 계정 비활성화</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="53"/>
        <source>PIN reset</source>
        <translation>PIN 재설정</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="54"/>
        <source>Staff permissions changed</source>
        <translation>직원 권한 변경</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="55"/>
        <source>Old entries deleted</source>
        <translation>오래된 기록 삭제</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="58"/>
        <source>API key: %1</source>
        <translation>API 키: %1</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="59"/>
        <source>Command line: %1</source>
        <translation>명령줄: %1</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="60"/>
        <source>Sync: %1</source>
        <translation>동기화: %1</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="61"/>
        <source>System</source>
        <translation>시스템</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="64"/>
        <source>wrong PIN</source>
        <translation>PIN 오류</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="65"/>
        <source>account locked</source>
        <translation>계정 잠김</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="66"/>
        <source>account disabled</source>
        <translation>계정 비활성</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="67"/>
        <source>idle</source>
        <translation>자리 비움</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="68"/>
        <source>on demand</source>
        <translation>직접 잠금</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="69"/>
        <source>same dog</source>
        <translation>같은 강아지</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="70"/>
        <source>different dogs</source>
        <translation>다른 강아지</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="71"/>
        <source>enabled again</source>
        <translation>다시 사용</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="74"/>
        <source>shown on request</source>
        <translation>요청하여 열람</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="75"/>
        <source>shown with the dog opened (always shown to this role)</source>
        <translation>강아지를 열 때 표시 (이 역할은 항상 표시)</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="76"/>
        <source>from the server, for another organisation&apos;s dog</source>
        <translation>다른 기관 강아지, 서버에서 받음</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="77"/>
        <source>in a look-up&apos;s answer</source>
        <translation>조회 결과에서</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="78"/>
        <source>in a list of dogs</source>
        <translation>강아지 목록에서</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="79"/>
        <source>with the dog&apos;s details</source>
        <translation>강아지 정보와 함께</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="80"/>
        <source>in the reviews</source>
        <translation>검토 목록에서</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="81"/>
        <source>with a review&apos;s decision</source>
        <translation>검토 결정과 함께</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="82"/>
        <source>in an export</source>
        <translation>내보내기에서</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="85"/>
        <source>name</source>
        <translation>이름</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="86"/>
        <source>breed</source>
        <translation>품종</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="87"/>
        <source>sex</source>
        <translation>성별</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="88"/>
        <source>birth date</source>
        <translation>생년월일</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="89"/>
        <source>neutered</source>
        <translation>중성화</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="90"/>
        <source>notes</source>
        <translation>메모</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="91"/>
        <source>owner&apos;s name</source>
        <translation>보호자 이름</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="94"/>
        <source>photos: %1</source>
        <translation>사진 %1장</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="95"/>
        <source>candidates: %1</source>
        <translation>후보 %1</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="96"/>
        <source>look-alikes flagged for review: %1</source>
        <translation>검토 요청된 닮은 강아지 %1</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="97"/>
        <source>with %1</source>
        <translation>상대: %1</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="98"/>
        <source>dogs: %1</source>
        <translation>강아지 %1</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="99"/>
        <source>deleted: %1</source>
        <translation>%1건 삭제</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="100"/>
        <source>kept %1 days</source>
        <translation>%1일 보관</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="101"/>
        <source>backup of %1</source>
        <translation>%1 백업</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="102"/>
        <source>new owner</source>
        <translation>새 보호자</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="103"/>
        <source>existing owner</source>
        <translation>기존 보호자</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="104"/>
        <source>dog kept (in the shelter&apos;s care)</source>
        <translation>강아지 유지 (보호소 보호 중)</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="105"/>
        <source>dog removed</source>
        <translation>강아지 삭제</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="108"/>
        <source>Today</source>
        <translation>오늘</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="109"/>
        <source>Last 7 days</source>
        <translation>최근 7일</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="110"/>
        <source>Last 30 days</source>
        <translation>최근 30일</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="111"/>
        <source>Last year</source>
        <translation>최근 1년</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="112"/>
        <source>Everything kept</source>
        <translation>보관 중인 전체</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="184"/>
        <source>Audit trail</source>
        <translation>감사 기록</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="187"/>
        <source>Registration number</source>
        <translation>등록번호</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="190"/>
        <source>Who: name or key</source>
        <translation>누가: 이름 또는 키</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="197"/>
        <source>All actions</source>
        <translation>모든 작업</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="200"/>
        <source>Search</source>
        <translation>검색</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="220"/>
        <source>When</source>
        <translation>일시</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="220"/>
        <source>Who</source>
        <translation>누가</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="220"/>
        <source>Action</source>
        <translation>작업</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="220"/>
        <source>Dog</source>
        <translation>강아지</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="221"/>
        <source>Details</source>
        <translation>내용</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="221"/>
        <source>Device</source>
        <translation>기기</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="265"/>
        <source>Loading the audit trail…</source>
        <translation>감사 기록을 불러오는 중…</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="276"/>
        <source>This kiosk</source>
        <translation>이 키오스크</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="291"/>
        <source>No entries match.</source>
        <translation>맞는 기록이 없습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/audit_page.py" line="293"/>
        <source>The newest %1 entries; narrow the search to see older ones.</source>
        <translation>최근 %1건입니다. 더 오래된 기록은 검색 조건을 좁혀 보세요.</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/audit_page.py" line="296"/>
        <source>%n entries, newest first.</source>
        <translation>
            <numerusform>최근 순으로 %n건.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Camera</name>
    <message>
        <location filename="../../ui/camera.py" line="615"/>
        <source>no. %1</source>
        <translation>%1번</translation>
    </message>
    <message>
        <location filename="../../ui/camera.py" line="617"/>
        <source>photo %1</source>
        <translation>사진 %1</translation>
    </message>
    <message>
        <location filename="../../ui/camera.py" line="620"/>
        <source>folder %1 (1 image)</source>
        <translation>폴더 %1 (사진 1장)</translation>
    </message>
    <message>
        <location filename="../../ui/camera.py" line="620"/>
        <source>folder %1 (%2 images)</source>
        <translation>폴더 %1 (사진 %2장)</translation>
    </message>
    <message>
        <location filename="../../ui/camera.py" line="623"/>
        <source>video %1</source>
        <translation>동영상 %1</translation>
    </message>
    <message>
        <location filename="../../ui/camera.py" line="626"/>
        <source>demo (1 picture)</source>
        <translation>시연 (사진 1장)</translation>
    </message>
    <message>
        <location filename="../../ui/camera.py" line="626"/>
        <source>demo (%1 pictures)</source>
        <translation>시연 (사진 %1장)</translation>
    </message>
</context>
<context>
    <name>CapturePanel</name>
    <message>
        <location filename="../../ui/capture.py" line="239"/>
        <source>Take photo</source>
        <translation>사진 찍기</translation>
    </message>
    <message>
        <location filename="../../ui/capture.py" line="242"/>
        <source>Photo from file…</source>
        <translation>파일에서 사진…</translation>
    </message>
    <message>
        <location filename="../../ui/capture.py" line="244"/>
        <source>Auto-capture</source>
        <translation>자동 촬영</translation>
    </message>
    <message>
        <location filename="../../ui/capture.py" line="298"/>
        <source>Camera not responding — reconnecting…</source>
        <translation>카메라 응답 없음 — 다시 연결하는 중…</translation>
    </message>
    <message>
        <location filename="../../ui/capture.py" line="300"/>
        <source>The camera was disconnected. Reconnect it, or use “Photo from file…”.</source>
        <translation>카메라 연결이 끊겼습니다. 다시 연결하거나 “파일에서 사진…”을 사용하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/capture.py" line="302"/>
        <source>No camera. Check the camera in Settings, or use “Photo from file…”.</source>
        <translation>카메라가 없습니다. 설정에서 카메라를 확인하거나 “파일에서 사진…”을 사용하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/capture.py" line="318"/>
        <source>Starting the camera…</source>
        <translation>카메라를 켜는 중…</translation>
    </message>
    <message>
        <location filename="../../ui/capture.py" line="333"/>
        <source>Choose a nose photo</source>
        <translation>코 사진 선택</translation>
    </message>
    <message>
        <location filename="../../ui/capture.py" line="334"/>
        <source>Images (*.jpg *.jpeg *.png *.bmp *.webp);;All files (*)</source>
        <translation>이미지 (*.jpg *.jpeg *.png *.bmp *.webp);;모든 파일 (*)</translation>
    </message>
</context>
<context>
    <name>CaptureView</name>
    <message>
        <location filename="../../ui/capture.py" line="41"/>
        <source>Starting the camera…</source>
        <translation>카메라를 켜는 중…</translation>
    </message>
    <message>
        <location filename="../../ui/capture.py" line="139"/>
        <source>Photo taken</source>
        <translation>사진을 찍었습니다</translation>
    </message>
    <message>
        <location filename="../../ui/capture.py" line="141"/>
        <source>Put the nose inside the guide</source>
        <translation>코를 안내선 안에 맞춰 주세요</translation>
    </message>
</context>
<context>
    <name>Card</name>
    <message>
        <location filename="../../ui/card.py" line="47"/>
        <source>Dog registration card</source>
        <translation>반려견 등록증</translation>
    </message>
    <message>
        <location filename="../../ui/card.py" line="69"/>
        <source>Scan to look up</source>
        <translation>스캔하여 조회</translation>
    </message>
    <message>
        <location filename="../../ui/card.py" line="80"/>
        <source>Registration number</source>
        <translation>등록번호</translation>
    </message>
    <message>
        <location filename="../../ui/card.py" line="81"/>
        <source>Breed</source>
        <translation>품종</translation>
    </message>
    <message>
        <location filename="../../ui/card.py" line="82"/>
        <source>Owner</source>
        <translation>보호자</translation>
    </message>
    <message>
        <location filename="../../ui/card.py" line="83"/>
        <source>Contact</source>
        <translation>연락처</translation>
    </message>
    <message>
        <location filename="../../ui/card.py" line="84"/>
        <source>Registered</source>
        <translation>등록일</translation>
    </message>
    <message>
        <location filename="../../ui/card.py" line="103"/>
        <source>If found, please call the owner or bring the dog to a shelter or vet with SavePets.</source>
        <translation>이 강아지를 발견하면 보호자에게 연락하거나 SavePets가 있는 보호소·동물병원에 데려다 주세요.</translation>
    </message>
</context>
<context>
    <name>CompareView</name>
    <message>
        <location filename="../../ui/compare_view.py" line="260"/>
        <source>This dog</source>
        <translation>이 강아지</translation>
    </message>
    <message>
        <location filename="../../ui/compare_view.py" line="290"/>
        <source>None of these</source>
        <translation>이 중에 없음</translation>
    </message>
    <message>
        <location filename="../../ui/compare_view.py" line="293"/>
        <source>This is the dog</source>
        <translation>이 강아지가 맞습니다</translation>
    </message>
    <message>
        <location filename="../../ui/compare_view.py" line="322"/>
        <source>These are the closest registered dogs.</source>
        <translation>가장 닮은 등록 강아지들입니다.</translation>
    </message>
    <message>
        <location filename="../../ui/compare_view.py" line="326"/>
        <source>No photo</source>
        <translation>사진 없음</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/compare_view.py" line="327"/>
        <source>Photos taken: %n</source>
        <translation>
            <numerusform>찍은 사진: %n장</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/compare_view.py" line="328"/>
        <source>Tap a photo to zoom in, tap again to see all of it.</source>
        <translation>사진을 누르면 확대되고, 다시 누르면 전체가 보입니다.</translation>
    </message>
    <message>
        <location filename="../../ui/compare_view.py" line="367"/>
        <location filename="../../ui/compare_view.py" line="382"/>
        <source>Loading photos…</source>
        <translation>사진을 불러오는 중…</translation>
    </message>
    <message>
        <location filename="../../ui/compare_view.py" line="378"/>
        <source>match probability %1 · score %2</source>
        <translation>일치 가능성 %1 · 점수 %2</translation>
    </message>
    <message>
        <location filename="../../ui/compare_view.py" line="382"/>
        <source>No photo of this dog on this kiosk</source>
        <translation>이 키오스크에는 이 강아지의 사진이 없습니다</translation>
    </message>
</context>
<context>
    <name>Controller</name>
    <message>
        <location filename="../../ui/controller.py" line="102"/>
        <source>Loading…</source>
        <translation>불러오는 중…</translation>
    </message>
</context>
<context>
    <name>DetailsStep</name>
    <message>
        <location filename="../../ui/register_form.py" line="59"/>
        <source>YYYY-MM-DD (optional)</source>
        <translation>YYYY-MM-DD (선택)</translation>
    </message>
    <message>
        <location filename="../../ui/register_form.py" line="61"/>
        <source>Unknown</source>
        <translation>모름</translation>
    </message>
    <message>
        <location filename="../../ui/register_form.py" line="62"/>
        <source>Yes</source>
        <translation>예</translation>
    </message>
    <message>
        <location filename="../../ui/register_form.py" line="63"/>
        <source>No</source>
        <translation>아니요</translation>
    </message>
    <message>
        <location filename="../../ui/register_form.py" line="87"/>
        <source>Owner</source>
        <translation>보호자</translation>
    </message>
    <message>
        <location filename="../../ui/register_form.py" line="90"/>
        <source>Owner&apos;s phone *</source>
        <translation>보호자 전화번호 *</translation>
    </message>
    <message>
        <location filename="../../ui/register_form.py" line="92"/>
        <source>Owner&apos;s name</source>
        <translation>보호자 이름</translation>
    </message>
    <message>
        <location filename="../../ui/register_form.py" line="97"/>
        <source>Dog</source>
        <translation>강아지</translation>
    </message>
    <message>
        <location filename="../../ui/register_form.py" line="100"/>
        <source>Dog&apos;s name *</source>
        <translation>강아지 이름 *</translation>
    </message>
    <message>
        <location filename="../../ui/register_form.py" line="103"/>
        <source>Breed</source>
        <translation>품종</translation>
    </message>
    <message>
        <location filename="../../ui/register_form.py" line="104"/>
        <source>Birth date</source>
        <translation>생년월일</translation>
    </message>
    <message>
        <location filename="../../ui/register_form.py" line="108"/>
        <source>Sex</source>
        <translation>성별</translation>
    </message>
    <message>
        <location filename="../../ui/register_form.py" line="109"/>
        <source>Neutered</source>
        <translation>중성화</translation>
    </message>
    <message>
        <location filename="../../ui/register_form.py" line="111"/>
        <source>Notes</source>
        <translation>메모</translation>
    </message>
    <message>
        <location filename="../../ui/register_form.py" line="119"/>
        <source>Back to photos</source>
        <translation>사진으로 돌아가기</translation>
    </message>
    <message>
        <location filename="../../ui/register_form.py" line="121"/>
        <source>Register</source>
        <translation>등록</translation>
    </message>
    <message>
        <location filename="../../ui/register_form.py" line="176"/>
        <location filename="../../ui/register_form.py" line="205"/>
        <source>Enter a valid phone number, e.g. 010-1234-5678.</source>
        <translation>올바른 전화번호를 입력하세요 (예: 010-1234-5678).</translation>
    </message>
    <message>
        <location filename="../../ui/register_form.py" line="183"/>
        <source>New owner</source>
        <translation>새 보호자</translation>
    </message>
    <message>
        <location filename="../../ui/register_form.py" line="187"/>
        <source>Existing owner: %1</source>
        <translation>기존 보호자: %1</translation>
    </message>
    <message>
        <location filename="../../ui/register_form.py" line="217"/>
        <source>The dog&apos;s name is required.</source>
        <translation>강아지 이름을 입력하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/register_form.py" line="219"/>
        <source>A past date (YYYY-MM-DD).</source>
        <translation>지난 날짜 (YYYY-MM-DD)</translation>
    </message>
    <message>
        <location filename="../../ui/register_form.py" line="229"/>
        <source>At most %1 characters.</source>
        <translation>%1자 이하로 입력하세요.</translation>
    </message>
</context>
<context>
    <name>DogCard</name>
    <message>
        <location filename="../../ui/dog_card.py" line="36"/>
        <source>Registration number</source>
        <translation>등록번호</translation>
    </message>
    <message>
        <location filename="../../ui/dog_card.py" line="36"/>
        <source>Breed</source>
        <translation>품종</translation>
    </message>
    <message>
        <location filename="../../ui/dog_card.py" line="37"/>
        <source>Sex</source>
        <translation>성별</translation>
    </message>
    <message>
        <location filename="../../ui/dog_card.py" line="37"/>
        <source>Status</source>
        <translation>상태</translation>
    </message>
    <message>
        <location filename="../../ui/dog_card.py" line="37"/>
        <source>Owner</source>
        <translation>보호자</translation>
    </message>
    <message>
        <location filename="../../ui/dog_card.py" line="38"/>
        <source>Contact</source>
        <translation>연락처</translation>
    </message>
    <message>
        <location filename="../../ui/dog_card.py" line="48"/>
        <source>Show contact</source>
        <translation>연락처 보기</translation>
    </message>
    <message>
        <location filename="../../ui/dog_card.py" line="53"/>
        <source>Show contact (online)</source>
        <translation>연락처 보기 (온라인)</translation>
    </message>
    <message>
        <location filename="../../ui/dog_card.py" line="102"/>
        <source>From the server: shown for this view only, not kept on this kiosk.</source>
        <translation>서버에서 받은 연락처입니다. 이 화면에서만 보이며 이 키오스크에는 저장되지 않습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/dog_card.py" line="130"/>
        <source>contact available online</source>
        <translation>연락처는 온라인으로 확인</translation>
    </message>
    <message>
        <location filename="../../ui/dog_card.py" line="140"/>
        <source>No photo</source>
        <translation>사진 없음</translation>
    </message>
</context>
<context>
    <name>DogPane</name>
    <message>
        <location filename="../../ui/review_page.py" line="71"/>
        <source>Show contact</source>
        <translation>연락처 보기</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="93"/>
        <source>Registered %1</source>
        <translation>등록일 %1</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="97"/>
        <source>Owner: %1</source>
        <translation>보호자: %1</translation>
    </message>
</context>
<context>
    <name>DoneStep</name>
    <message>
        <location filename="../../ui/register_done.py" line="45"/>
        <source>Registered</source>
        <translation>등록 완료</translation>
    </message>
    <message>
        <location filename="../../ui/register_done.py" line="60"/>
        <source>Print card…</source>
        <translation>등록증 인쇄…</translation>
    </message>
    <message>
        <location filename="../../ui/register_done.py" line="62"/>
        <source>Save card as image…</source>
        <translation>등록증 이미지로 저장…</translation>
    </message>
    <message>
        <location filename="../../ui/register_done.py" line="64"/>
        <source>Save card as PDF…</source>
        <translation>등록증 PDF로 저장…</translation>
    </message>
    <message>
        <location filename="../../ui/register_done.py" line="66"/>
        <source>Register another dog</source>
        <translation>다른 강아지 등록</translation>
    </message>
    <message>
        <location filename="../../ui/register_done.py" line="95"/>
        <source>Registration number: %1</source>
        <translation>등록번호: %1</translation>
    </message>
    <message>
        <location filename="../../ui/register_done.py" line="98"/>
        <source>Existing owner: the dog was added to their dogs.</source>
        <translation>기존 보호자: 보호자의 반려견 목록에 추가되었습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/register_done.py" line="101"/>
        <source>The dog was registered and flagged for an administrator&apos;s review because it looks like %1.</source>
        <translation>등록되었습니다. 다음 강아지와 닮아서 관리자가 검토하도록 표시했습니다: %1</translation>
    </message>
    <message>
        <location filename="../../ui/register_done.py" line="113"/>
        <source>PDF (*.pdf)</source>
        <translation>PDF (*.pdf)</translation>
    </message>
    <message>
        <location filename="../../ui/register_done.py" line="113"/>
        <source>PNG image (*.png)</source>
        <translation>PNG 이미지 (*.png)</translation>
    </message>
    <message>
        <location filename="../../ui/register_done.py" line="114"/>
        <source>Save card</source>
        <translation>등록증 저장</translation>
    </message>
    <message>
        <location filename="../../ui/register_done.py" line="118"/>
        <source>Saved: %1</source>
        <translation>저장됨: %1</translation>
    </message>
    <message>
        <location filename="../../ui/register_done.py" line="126"/>
        <source>Sent to the printer.</source>
        <translation>프린터로 보냈습니다.</translation>
    </message>
</context>
<context>
    <name>FirstAdminPage</name>
    <message>
        <location filename="../../ui/signin_page.py" line="331"/>
        <source>Welcome</source>
        <translation>환영합니다</translation>
    </message>
    <message>
        <location filename="../../ui/signin_page.py" line="332"/>
        <source>Nobody can use this kiosk yet. Create its first administrator: they sign in with a PIN, add the other staff members and decide what staff may see, in Settings.</source>
        <translation>아직 아무도 이 키오스크를 쓸 수 없습니다. 첫 관리자를 만드세요. 관리자는 PIN으로 로그인하고, 설정에서 다른 직원을 추가하고 직원이 볼 수 있는 것을 정합니다.</translation>
    </message>
    <message>
        <location filename="../../ui/signin_page.py" line="337"/>
        <source>e.g. Kim Minji</source>
        <translation>예: 김민지</translation>
    </message>
    <message>
        <location filename="../../ui/signin_page.py" line="339"/>
        <source>%1 to %2 digits</source>
        <translation>숫자 %1~%2자리</translation>
    </message>
    <message>
        <location filename="../../ui/signin_page.py" line="340"/>
        <source>The same PIN again</source>
        <translation>같은 PIN을 한 번 더</translation>
    </message>
    <message>
        <location filename="../../ui/signin_page.py" line="347"/>
        <source>Create and sign in</source>
        <translation>관리자를 만들고 로그인</translation>
    </message>
    <message>
        <location filename="../../ui/signin_page.py" line="356"/>
        <source>Administrator&apos;s name</source>
        <translation>관리자 이름</translation>
    </message>
    <message>
        <location filename="../../ui/signin_page.py" line="365"/>
        <source>PIN</source>
        <translation>PIN</translation>
    </message>
    <message>
        <location filename="../../ui/signin_page.py" line="365"/>
        <source>PIN again</source>
        <translation>PIN 확인</translation>
    </message>
    <message>
        <location filename="../../ui/signin_page.py" line="392"/>
        <source>Enter the administrator&apos;s name.</source>
        <translation>관리자 이름을 입력하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/signin_page.py" line="395"/>
        <source>A PIN is %1 to %2 digits.</source>
        <translation>PIN은 숫자 %1~%2자리입니다.</translation>
    </message>
    <message>
        <location filename="../../ui/signin_page.py" line="400"/>
        <source>The two PINs differ. Enter the same PIN again.</source>
        <translation>두 PIN이 다릅니다. 같은 PIN을 다시 입력하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/signin_page.py" line="404"/>
        <source>Creating the administrator…</source>
        <translation>관리자를 만드는 중…</translation>
    </message>
</context>
<context>
    <name>FoundRow</name>
    <message>
        <location filename="../../ui/reunite_rows.py" line="108"/>
        <source>Taken in as a stray</source>
        <translation>유기견으로 보호 시작</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="108"/>
        <source>Reported by a finder</source>
        <translation>발견자 신고</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="109"/>
        <source>Found %1</source>
        <translation>발견 %1</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="112"/>
        <source>Reunited</source>
        <translation>가족 찾음</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="114"/>
        <source>Home again: %1 (%2)</source>
        <translation>집으로: %1 (%2)</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="117"/>
        <source>Closed</source>
        <translation>종료됨</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="120"/>
        <source>Possible dogs to compare: %1</source>
        <translation>비교할 후보 강아지: %1</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="121"/>
        <source>No registered dog alike yet</source>
        <translation>아직 닮은 등록 강아지 없음</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="125"/>
        <source>Compare</source>
        <translation>비교</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="127"/>
        <source>Close…</source>
        <translation>종료…</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="132"/>
        <source>No holding period</source>
        <translation>보호 기간 없음</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="134"/>
        <source>Last day today</source>
        <translation>오늘이 마지막 날</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="135"/>
        <source>1 day left</source>
        <translation>1일 남음</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="135"/>
        <source>%1 days left</source>
        <translation>%1일 남음</translation>
    </message>
</context>
<context>
    <name>LookupPage</name>
    <message>
        <location filename="../../ui/lookup_page.py" line="44"/>
        <source>Who is this dog?</source>
        <translation>이 강아지는 누구일까요?</translation>
    </message>
    <message>
        <location filename="../../ui/lookup_page.py" line="69"/>
        <source>Look up another dog</source>
        <translation>다른 강아지 조회</translation>
    </message>
    <message>
        <location filename="../../ui/lookup_page.py" line="76"/>
        <source>Not registered</source>
        <translation>등록되지 않음</translation>
    </message>
    <message>
        <location filename="../../ui/lookup_page.py" line="80"/>
        <source>Register this dog</source>
        <translation>이 강아지 등록하기</translation>
    </message>
    <message>
        <location filename="../../ui/lookup_page.py" line="87"/>
        <source>Take in as a stray</source>
        <translation>유기견으로 보호 시작</translation>
    </message>
    <message>
        <location filename="../../ui/lookup_page.py" line="89"/>
        <location filename="../../ui/lookup_page.py" line="107"/>
        <source>Try again</source>
        <translation>다시 시도</translation>
    </message>
    <message>
        <location filename="../../ui/lookup_page.py" line="221"/>
        <source>Photo file: %1</source>
        <translation>사진 파일: %1</translation>
    </message>
    <message>
        <location filename="../../ui/lookup_page.py" line="223"/>
        <source>Photo files: %1 and %2 more</source>
        <translation>사진 파일: %1 외 %2장</translation>
    </message>
    <message>
        <location filename="../../ui/lookup_page.py" line="241"/>
        <source>Looking up…</source>
        <translation>조회 중…</translation>
    </message>
    <message>
        <location filename="../../ui/lookup_page.py" line="294"/>
        <source>This photo cannot be used: %1</source>
        <translation>이 사진은 사용할 수 없습니다: %1</translation>
    </message>
    <message>
        <location filename="../../ui/lookup_page.py" line="46"/>
        <source>Hold the nose inside the guide. Three photos are taken by themselves when the picture is good.</source>
        <translation>코를 안내선 안에 맞춰 주세요. 사진이 좋으면 자동으로 3장을 찍습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/lookup_page.py" line="62"/>
        <source>The result appears here.

You can also drop photo files of one dog here (up to 5).</source>
        <translation>결과가 여기에 나타납니다.

한 강아지의 사진 파일(최대 5장)을 여기로 끌어 놓아도 됩니다.</translation>
    </message>
    <message>
        <location filename="../../ui/lookup_page.py" line="84"/>
        <source>Compare with the closest dogs</source>
        <translation>가장 닮은 강아지와 비교</translation>
    </message>
    <message>
        <location filename="../../ui/lookup_page.py" line="177"/>
        <location filename="../../ui/lookup_page.py" line="190"/>
        <source>Photo %1/%2</source>
        <translation>사진 %1/%2</translation>
    </message>
    <message>
        <location filename="../../ui/lookup_page.py" line="275"/>
        <source>Confirmed by staff</source>
        <translation>직원이 확인함</translation>
    </message>
    <message>
        <location filename="../../ui/lookup_page.py" line="280"/>
        <source>None of the look-alike dogs is this dog.</source>
        <translation>닮은 강아지 중에 이 강아지는 없습니다.</translation>
    </message>
</context>
<context>
    <name>LostRow</name>
    <message>
        <location filename="../../ui/reunite_rows.py" line="155"/>
        <source>the owner&apos;s registered phone</source>
        <translation>보호자의 등록된 전화번호</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="156"/>
        <source>by e-mail to %1</source>
        <translation>이메일로 %1에게</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="156"/>
        <source>by text message to %1</source>
        <translation>문자로 %1에게</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="158"/>
        <source>Lost at %1 · since %2</source>
        <translation>실종 장소 %1 · %2부터</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="159"/>
        <source>Owner told %1</source>
        <translation>보호자 알림: %1</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="160"/>
        <source>of possible matches too</source>
        <translation>후보도 알림</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="162"/>
        <source>Possible found dogs to compare: %1</source>
        <translation>비교할 발견 강아지: %1</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="165"/>
        <source>Compare</source>
        <translation>비교</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="167"/>
        <source>Withdraw…</source>
        <translation>신고 취소…</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="169"/>
        <source>Dog is home…</source>
        <translation>집에 돌아옴…</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../ui/main_window.py" line="103"/>
        <source>SavePets — nose print registry</source>
        <translation>SavePets — 비문 등록부</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="138"/>
        <source>Look up</source>
        <translation>조회</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="139"/>
        <source>Register</source>
        <translation>등록</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="140"/>
        <source>Registry</source>
        <translation>등록부</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="141"/>
        <location filename="../../ui/main_window.py" line="432"/>
        <source>Reunite</source>
        <translation>가족 찾기</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="143"/>
        <source>Audit trail</source>
        <translation>감사 기록</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="144"/>
        <source>Settings</source>
        <translation>설정</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="159"/>
        <source>Lock</source>
        <translation>잠금</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="162"/>
        <source>Sign out and hide personal data until someone signs in</source>
        <translation>로그아웃하고 누군가 로그인할 때까지 개인정보를 가립니다</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="374"/>
        <source>Camera: %1</source>
        <translation>카메라: %1</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="380"/>
        <source>Camera not responding</source>
        <translation>카메라 응답 없음</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="382"/>
        <source>No camera</source>
        <translation>카메라 없음</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="382"/>
        <source>Camera disconnected</source>
        <translation>카메라 연결 끊김</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="402"/>
        <source>Could not start: %1</source>
        <translation>시작할 수 없습니다: %1</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="142"/>
        <location filename="../../ui/main_window.py" line="439"/>
        <source>Review</source>
        <translation>검토</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/main_window.py" line="433"/>
        <source>%n possible reunion(s) to compare</source>
        <translation>
            <numerusform>비교할 가족 찾기 후보 %n건</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/main_window.py" line="440"/>
        <source>%n pair(s) of registrations to review</source>
        <translation>
            <numerusform>검토할 등록 %n쌍</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>OnlineContact</name>
    <message>
        <location filename="../../ui/online_contact.py" line="37"/>
        <source>Say why you need the owner&apos;s contact (at least %1 characters).</source>
        <translation>보호자 연락처가 필요한 이유를 적어 주세요 (%1자 이상).</translation>
    </message>
    <message>
        <location filename="../../ui/online_contact.py" line="40"/>
        <source>The reason is too long: at most %1 characters.</source>
        <translation>이유가 너무 깁니다. %1자 이내로 적어 주세요.</translation>
    </message>
    <message>
        <location filename="../../ui/online_contact.py" line="49"/>
        <source>The server is not reachable: the contact is available online only. Try again when this kiosk is online.</source>
        <translation>서버에 연결할 수 없습니다. 연락처는 온라인에서만 확인할 수 있습니다. 키오스크가 온라인일 때 다시 시도하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/online_contact.py" line="54"/>
        <source>Too many contact requests from this kiosk; try again in %n minute(s).</source>
        <translation>이 키오스크의 연락처 요청이 너무 많습니다. %n분 후에 다시 시도하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/online_contact.py" line="57"/>
        <source>The server refused: this kiosk may not ask for contacts (its key was revoked, or it is not enrolled). Ask an administrator.</source>
        <translation>서버가 거부했습니다. 이 키오스크는 연락처를 요청할 수 없습니다 (키가 폐기되었거나 등록되지 않았습니다). 관리자에게 문의하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/online_contact.py" line="61"/>
        <source>The server does not know this dog (removed, or not synced yet).</source>
        <translation>서버에 이 반려견이 없습니다 (삭제되었거나 아직 동기화되지 않았습니다).</translation>
    </message>
    <message>
        <location filename="../../ui/online_contact.py" line="64"/>
        <source>The server did not accept the reason: say in 5 to 200 characters why you need the contact.</source>
        <translation>서버가 이유를 받아들이지 않았습니다. 연락처가 필요한 이유를 5~200자로 적어 주세요.</translation>
    </message>
    <message>
        <location filename="../../ui/online_contact.py" line="68"/>
        <source>This kiosk is not enrolled with a server: the contact is available online only.</source>
        <translation>이 키오스크는 서버에 등록되어 있지 않습니다. 연락처는 온라인에서만 확인할 수 있습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/online_contact.py" line="71"/>
        <source>No contact from the server: %1</source>
        <translation>서버에서 연락처를 받지 못했습니다: %1</translation>
    </message>
    <message>
        <location filename="../../ui/online_contact.py" line="193"/>
        <source>Asking the server…</source>
        <translation>서버에 요청하는 중…</translation>
    </message>
</context>
<context>
    <name>PhotoSlots</name>
    <message>
        <location filename="../../ui/photo_slots.py" line="49"/>
        <source>Empty</source>
        <translation>비어 있음</translation>
    </message>
    <message>
        <location filename="../../ui/photo_slots.py" line="49"/>
        <source>Checking…</source>
        <translation>확인 중…</translation>
    </message>
    <message>
        <location filename="../../ui/photo_slots.py" line="49"/>
        <source>Good</source>
        <translation>좋음</translation>
    </message>
    <message>
        <location filename="../../ui/photo_slots.py" line="50"/>
        <source>Retake</source>
        <translation>다시 찍기</translation>
    </message>
</context>
<context>
    <name>PhotoStep</name>
    <message>
        <location filename="../../ui/register_photos.py" line="32"/>
        <source>Take 5 photos of the nose. Tap a photo to take it again.</source>
        <translation>코 사진 5장을 찍어 주세요. 다시 찍으려면 사진을 누르세요.</translation>
    </message>
    <message>
        <location filename="../../ui/register_photos.py" line="35"/>
        <source>Next: owner and dog</source>
        <translation>다음: 보호자와 강아지 정보</translation>
    </message>
    <message>
        <location filename="../../ui/register_photos.py" line="39"/>
        <source>Start over</source>
        <translation>처음부터 다시</translation>
    </message>
    <message>
        <location filename="../../ui/register_photos.py" line="66"/>
        <source>Take photo %1 again.</source>
        <translation>%1번 사진을 다시 찍어 주세요.</translation>
    </message>
    <message>
        <location filename="../../ui/register_photos.py" line="96"/>
        <source>Checking the photo…</source>
        <translation>사진 확인 중…</translation>
    </message>
    <message>
        <location filename="../../ui/register_photos.py" line="101"/>
        <source>Same photo as photo %1</source>
        <translation>%1번 사진과 같은 사진</translation>
    </message>
    <message>
        <location filename="../../ui/register_photos.py" line="103"/>
        <source>Photo %1 is the same as photo %2: move a little and take it again.</source>
        <translation>%1번 사진이 %2번 사진과 같습니다. 조금 움직여서 다시 찍어 주세요.</translation>
    </message>
    <message>
        <location filename="../../ui/register_photos.py" line="112"/>
        <location filename="../../ui/register_photos.py" line="134"/>
        <source>Photo %1: %2. Take it again.</source>
        <translation>%1번 사진: %2. 다시 찍어 주세요.</translation>
    </message>
    <message>
        <location filename="../../ui/register_photos.py" line="117"/>
        <source>Photo %1 is good.</source>
        <translation>%1번 사진이 좋습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/register_photos.py" line="122"/>
        <source>Photo %1 cannot be used: %2</source>
        <translation>%1번 사진은 사용할 수 없습니다: %2</translation>
    </message>
    <message>
        <location filename="../../ui/register_photos.py" line="142"/>
        <source>All 5 photos are good. Tap Next.</source>
        <translation>사진 5장이 모두 좋습니다. 다음을 누르세요.</translation>
    </message>
</context>
<context>
    <name>PinPad</name>
    <message>
        <location filename="../../ui/signin_page.py" line="64"/>
        <source>Clear</source>
        <translation>지우기</translation>
    </message>
</context>
<context>
    <name>QFileDialog</name>
    <message>
        <location filename="../../ui/texts.py" line="140"/>
        <source>&amp;Look in:</source>
        <translation>찾는 위치(&amp;L):</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="141"/>
        <source>Files of &amp;type:</source>
        <translation>파일 형식(&amp;T):</translation>
    </message>
</context>
<context>
    <name>ReasonDialog</name>
    <message>
        <location filename="../../ui/online_contact.py" line="82"/>
        <source>Show contact (online)</source>
        <translation>연락처 보기 (온라인)</translation>
    </message>
    <message>
        <location filename="../../ui/online_contact.py" line="85"/>
        <source>Owner of %1 (%2)</source>
        <translation>%1 (%2)의 보호자</translation>
    </message>
    <message>
        <location filename="../../ui/online_contact.py" line="88"/>
        <source>This dog is registered with another organisation. Its owner&apos;s name and phone come from the server, for this view only: they are not kept on this kiosk. Say why you need them; the server keeps your reason on its audit trail.</source>
        <translation>이 반려견은 다른 기관에 등록되어 있습니다. 보호자의 이름과 전화번호는 서버에서 받아 이 화면에서만 보여 주며, 이 키오스크에는 저장하지 않습니다. 필요한 이유를 적어 주세요. 서버는 이유를 감사 기록에 남깁니다.</translation>
    </message>
    <message>
        <location filename="../../ui/online_contact.py" line="95"/>
        <source>e.g. Found near the park; calling the owner</source>
        <translation>예: 공원 근처에서 발견, 보호자에게 연락하려고 함</translation>
    </message>
    <message>
        <location filename="../../ui/online_contact.py" line="100"/>
        <source>Ask the server</source>
        <translation>서버에 요청</translation>
    </message>
    <message>
        <location filename="../../ui/online_contact.py" line="104"/>
        <source>Cancel</source>
        <translation>취소</translation>
    </message>
    <message>
        <location filename="../../ui/online_contact.py" line="113"/>
        <source>Reason</source>
        <translation>이유</translation>
    </message>
</context>
<context>
    <name>RegisterPage</name>
    <message>
        <location filename="../../ui/register_page.py" line="68"/>
        <source>Register a dog — 1. Nose photos</source>
        <translation>강아지 등록 — 1. 코 사진</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="69"/>
        <source>Register a dog — already registered</source>
        <translation>강아지 등록 — 이미 등록됨</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="70"/>
        <source>Register a dog — 2. Owner and dog</source>
        <translation>강아지 등록 — 2. 보호자와 강아지</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="71"/>
        <source>Register a dog — 3. Done</source>
        <translation>강아지 등록 — 3. 완료</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="137"/>
        <source>Registering…</source>
        <translation>등록 중…</translation>
    </message>
</context>
<context>
    <name>RegistryPage</name>
    <message>
        <location filename="../../ui/registry_page.py" line="60"/>
        <source>Registry</source>
        <translation>등록부</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="64"/>
        <source>Search by name, phone or registration number</source>
        <translation>이름, 전화번호 또는 등록번호로 검색</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="69"/>
        <source>All</source>
        <translation>전체</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="82"/>
        <source>Registration number</source>
        <translation>등록번호</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="82"/>
        <location filename="../../ui/registry_page.py" line="140"/>
        <source>Name</source>
        <translation>이름</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="141"/>
        <source>Breed</source>
        <translation>품종</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="82"/>
        <source>Status</source>
        <translation>상태</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="63"/>
        <source>Name, phone or number</source>
        <translation>이름, 전화번호, 등록번호</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="83"/>
        <source>Phone</source>
        <translation>전화번호</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="94"/>
        <source>No dogs found.</source>
        <translation>찾은 강아지가 없습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="115"/>
        <source>Show contact</source>
        <translation>연락처 보기</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="119"/>
        <source>Show contact (online)</source>
        <translation>연락처 보기 (온라인)</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="142"/>
        <source>Owner&apos;s name</source>
        <translation>보호자 이름</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="143"/>
        <source>Notes</source>
        <translation>메모</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="144"/>
        <source>Save changes</source>
        <translation>변경 내용 저장</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="149"/>
        <source>Mark lost</source>
        <translation>실종 신고</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="149"/>
        <source>Mark found</source>
        <translation>발견(보호 중)</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="150"/>
        <source>Back home</source>
        <translation>귀가</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="157"/>
        <source>Report lost…</source>
        <translation>실종 신고서…</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="164"/>
        <source>Remove registration…</source>
        <translation>등록 삭제…</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="170"/>
        <source>Keep it</source>
        <translation>그대로 두기</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="172"/>
        <source>Yes, remove</source>
        <translation>예, 삭제</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="282"/>
        <source>online only</source>
        <translation>온라인 확인</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="287"/>
        <source>contact available online</source>
        <translation>연락처는 온라인으로 확인</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="320"/>
        <source>Owner: contact available online</source>
        <translation>보호자: 연락처는 온라인으로 확인</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="325"/>
        <source>Registered with another organisation: you may mark it lost or found; only that organisation changes its details or removes it.</source>
        <translation>다른 기관에 등록된 반려견입니다. 실종 또는 발견으로 표시할 수 있으며, 정보 변경과 삭제는 그 기관만 할 수 있습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="342"/>
        <source>The owner&apos;s contact, from the server: shown for this view only, not kept on this kiosk.</source>
        <translation>서버에서 받은 보호자 연락처입니다. 이 화면에서만 보이며 이 키오스크에는 저장되지 않습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="367"/>
        <source>Nothing changed.</source>
        <translation>바뀐 내용이 없습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="372"/>
        <source>The dog&apos;s name is required.</source>
        <translation>강아지 이름을 입력하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="378"/>
        <location filename="../../ui/registry_page.py" line="384"/>
        <location filename="../../ui/registry_page.py" line="400"/>
        <source>Saving…</source>
        <translation>저장 중…</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="389"/>
        <source>Remove %1 (%2) from the registry? Every kiosk forgets it at its next sync.</source>
        <translation>%1(%2)을(를) 등록부에서 삭제할까요? 다음 동기화 때 모든 키오스크에서도 지워집니다.</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="403"/>
        <source>Removed: %1 (%2).</source>
        <translation>삭제됨: %1 (%2).</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="409"/>
        <source>Saved: %1 is now “%2”.</source>
        <translation>저장됨: %1 — 현재 “%2”.</translation>
    </message>
</context>
<context>
    <name>ReportLostForm</name>
    <message>
        <location filename="../../ui/reunite_forms.py" line="69"/>
        <source>The dog&apos;s status becomes lost, and the found dogs held now are searched for it at once. Later found dogs are searched for it as they come in.</source>
        <translation>강아지의 상태가 실종으로 바뀌고, 지금 보호 중인 발견 강아지 중에서 바로 찾습니다. 나중에 들어오는 발견 강아지도 들어올 때마다 비교합니다.</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="74"/>
        <source>A street, a park, a town</source>
        <translation>거리, 공원, 동네</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="78"/>
        <source>The owner&apos;s registered phone</source>
        <translation>보호자의 등록된 전화번호</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="80"/>
        <source>Optional</source>
        <translation>선택 사항</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="82"/>
        <source>Text message</source>
        <translation>문자 메시지</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="83"/>
        <source>E-mail</source>
        <translation>이메일</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="87"/>
        <source>Also tell the owner of possible matches, not only confirmed ones</source>
        <translation>확인된 경우뿐 아니라 가능성 있는 후보도 보호자에게 알림</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="93"/>
        <source>Where was it lost?</source>
        <translation>어디에서 잃어버렸나요?</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="94"/>
        <source>When (YYYY-MM-DD HH:MM)</source>
        <translation>언제 (YYYY-MM-DD HH:MM)</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="95"/>
        <source>Owner&apos;s phone</source>
        <translation>보호자 전화번호</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="96"/>
        <source>Owner&apos;s e-mail</source>
        <translation>보호자 이메일</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="97"/>
        <source>Tell the owner by</source>
        <translation>보호자 알림 방법</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="98"/>
        <source>In</source>
        <translation>언어</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="103"/>
        <source>Cancel</source>
        <translation>취소</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="105"/>
        <source>Report lost</source>
        <translation>실종 신고</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="129"/>
        <source>Report %1 (%2) lost</source>
        <translation>%1 (%2) 실종 신고</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="159"/>
        <source>Where was the dog lost? Enter a place.</source>
        <translation>강아지를 잃어버린 장소를 입력하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="164"/>
        <source>Enter the time as YYYY-MM-DD HH:MM, e.g. %1.</source>
        <translation>시간은 YYYY-MM-DD HH:MM 형식으로 입력하세요. 예: %1</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="176"/>
        <source>Saving…</source>
        <translation>저장 중…</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="182"/>
        <source>The time cannot be in the future, nor more than three years ago.</source>
        <translation>미래의 시간이나 3년보다 이전의 시간은 입력할 수 없습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="184"/>
        <source>This is not a phone number.</source>
        <translation>전화번호가 아닙니다.</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="186"/>
        <source>Enter the owner&apos;s e-mail address to tell them by e-mail.</source>
        <translation>이메일로 알리려면 보호자의 이메일 주소를 입력하세요.</translation>
    </message>
</context>
<context>
    <name>ReunionCompare</name>
    <message>
        <location filename="../../ui/reunite_page.py" line="47"/>
        <source>Found dog</source>
        <translation>발견된 강아지</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="48"/>
        <source>Not this dog</source>
        <translation>이 강아지가 아님</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="49"/>
        <source>Confirm: it is this dog</source>
        <translation>확인: 이 강아지가 맞습니다</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="51"/>
        <source>Back</source>
        <translation>뒤로</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="59"/>
        <source>Photos of the found dog: %1</source>
        <translation>발견된 강아지 사진: %1장</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="60"/>
        <source>Tap a photo to zoom in, tap again to see all of it.</source>
        <translation>사진을 누르면 확대되고, 다시 누르면 전체가 보입니다.</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="67"/>
        <source>reported lost</source>
        <translation>실종 신고됨</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="67"/>
        <source>found in the whole registry</source>
        <translation>전체 등록부에서 찾음</translation>
    </message>
</context>
<context>
    <name>ReunionRow</name>
    <message>
        <location filename="../../ui/reunite_rows.py" line="187"/>
        <source>Not alike</source>
        <translation>닮지 않음</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="189"/>
        <source>Reported lost</source>
        <translation>실종 신고됨</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="189"/>
        <source>Found in the whole registry</source>
        <translation>전체 등록부에서 찾음</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="190"/>
        <source>match probability %1 · score %2</source>
        <translation>일치 가능성 %1 · 점수 %2</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="192"/>
        <source>Found at %1, %2</source>
        <translation>발견: %1, %2</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_rows.py" line="195"/>
        <source>Compare</source>
        <translation>비교</translation>
    </message>
</context>
<context>
    <name>ReunitePage</name>
    <message>
        <location filename="../../ui/reunite_page.py" line="91"/>
        <source>Reunite</source>
        <translation>가족 찾기</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="93"/>
        <location filename="../../ui/reunite_page.py" line="181"/>
        <source>Back to the lists</source>
        <translation>목록으로</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="109"/>
        <source>No possible reunions. When a found dog looks like a registered dog, the two appear here to compare.</source>
        <translation>가족 찾기 후보가 없습니다. 발견된 강아지가 등록된 강아지와 닮으면 여기에 나란히 보여 비교할 수 있습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="111"/>
        <source>No found dogs held. Take one in from the look-up page: when a dog is not surely identified, tap “Take in as a stray”.</source>
        <translation>보호 중인 발견 강아지가 없습니다. 조회 페이지에서 확실히 확인되지 않은 강아지는 “유기견으로 보호 시작”을 누르세요.</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="113"/>
        <source>No dogs reported lost. To report one, open it in the Registry and tap “Report lost”.</source>
        <translation>실종 신고된 강아지가 없습니다. 신고하려면 등록부에서 강아지를 열고 “실종 신고서”를 누르세요.</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="126"/>
        <source>Report a dog lost…</source>
        <translation>실종 신고하기…</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="132"/>
        <source>Cancel</source>
        <translation>취소</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="172"/>
        <source>Show contact</source>
        <translation>연락처 보기</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="322"/>
        <source>Possible reunions</source>
        <translation>가족 찾기 후보</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="323"/>
        <source>Found dogs</source>
        <translation>발견된 강아지</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="323"/>
        <source>Lost reports</source>
        <translation>실종 신고</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="343"/>
        <location filename="../../ui/reunite_page.py" line="447"/>
        <source>Loading photos…</source>
        <translation>사진을 불러오는 중…</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="366"/>
        <source>Is %1 home? The lost report ends and the dog&apos;s status becomes “at home”.</source>
        <translation>%1이(가) 집에 돌아왔나요? 실종 신고가 끝나고 상태가 “집에 있음”이 됩니다.</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="367"/>
        <source>Yes, it is home</source>
        <translation>네, 돌아왔습니다</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="369"/>
        <source>Withdraw the lost report of %1? It is no longer searched for among found dogs.</source>
        <translation>%1의 실종 신고를 취소할까요? 발견된 강아지 중에서 더 이상 찾지 않습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="370"/>
        <source>Yes, withdraw</source>
        <translation>네, 취소합니다</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="373"/>
        <location filename="../../ui/reunite_page.py" line="390"/>
        <location filename="../../ui/reunite_page.py" line="464"/>
        <source>Saving…</source>
        <translation>저장 중…</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="376"/>
        <source>%1 is home: the lost report is closed.</source>
        <translation>%1이(가) 집에 돌아왔습니다. 실종 신고를 종료했습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="377"/>
        <source>The lost report of %1 is withdrawn.</source>
        <translation>%1의 실종 신고를 취소했습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="385"/>
        <source>Close the found case at %1 (%2) without a reunion? Its dog is no longer searched for owners.</source>
        <translation>%1 (%2)의 발견 건을 가족 찾기 없이 종료할까요? 이 강아지의 보호자를 더 이상 찾지 않습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="387"/>
        <source>Yes, close it</source>
        <translation>네, 종료합니다</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="393"/>
        <source>The found case at %1 is closed.</source>
        <translation>%1의 발견 건을 종료했습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="416"/>
        <source>This found case is no longer open.</source>
        <translation>이 발견 건은 이미 종료되었습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="421"/>
        <source>No registered dog is left to compare with the dog found at %1.</source>
        <translation>%1에서 발견된 강아지와 비교할 등록 강아지가 더 없습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="439"/>
        <source>Found at %1, %2 · %3</source>
        <translation>발견: %1, %2 · %3</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="451"/>
        <source>no holding period</source>
        <translation>보호 기간 없음</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="453"/>
        <source>last day today</source>
        <translation>오늘이 마지막 날</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="454"/>
        <source>1 day left</source>
        <translation>1일 남음</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="454"/>
        <source>%1 days left</source>
        <translation>%1일 남음</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="475"/>
        <source>Not %1: noted.</source>
        <translation>%1이(가) 아님: 기록했습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="486"/>
        <source>Reunited: %1 (%2)</source>
        <translation>가족 찾음: %1 (%2)</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="489"/>
        <source>The found case at %1 is closed as reunited, and %2&apos;s lost report ended: the dog is going home. Call the owner to come and fetch it.</source>
        <translation>%1의 발견 건은 가족 찾음으로 종료되었고 %2의 실종 신고도 끝났습니다. 보호자에게 연락해 데려가도록 하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="498"/>
        <source>Owner: %1</source>
        <translation>보호자: %1</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_page.py" line="513"/>
        <source>%1 is reported lost at %2. Found dogs held now were searched for it; those it may be are listed under Possible reunions.</source>
        <translation>%1이(가) %2에서 실종 신고되었습니다. 지금 보호 중인 발견 강아지 중에서 찾았으며, 후보는 가족 찾기 후보에 보입니다.</translation>
    </message>
</context>
<context>
    <name>ReviewPage</name>
    <message>
        <location filename="../../ui/review_page.py" line="119"/>
        <source>Review possible duplicates</source>
        <translation>중복 의심 등록 검토</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="125"/>
        <source>Previous pair</source>
        <translation>이전 쌍</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="126"/>
        <source>Next pair</source>
        <translation>다음 쌍</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="151"/>
        <source>Different dogs</source>
        <translation>다른 강아지입니다</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="154"/>
        <source>Same dog (merge into the older)</source>
        <translation>같은 강아지 (이전 등록으로 합치기)</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="169"/>
        <source>Cancel</source>
        <translation>취소</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="172"/>
        <source>Yes, merge</source>
        <translation>네, 합치기</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="196"/>
        <source>Nothing to review.

When a new registration looks like a registered dog without being a sure match, the two appear here side by side.</source>
        <translation>검토할 등록이 없습니다.

새로 등록한 강아지가 등록된 강아지와 닮았지만 확실히 같다고 할 수 없으면, 두 등록이 여기에 나란히 나옵니다.</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="322"/>
        <source>Pair %1 of %2</source>
        <translation>%2쌍 중 %1번째</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="324"/>
        <source>Registered on two kiosks; the server found them alike.</source>
        <translation>두 키오스크에서 따로 등록되었고, 서버가 닮은 것을 찾았습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="325"/>
        <source>Flagged when the newer dog was registered.</source>
        <translation>나중 등록 때 표시되었습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="326"/>
        <source>These two registrations look alike (similarity %1). %2 Compare the noses: tap a photo to zoom in.</source>
        <translation>두 등록이 닮았습니다 (유사도 %1). %2 코를 비교하세요: 사진을 누르면 확대됩니다.</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="328"/>
        <source>Older registration · kept</source>
        <translation>이전 등록 · 유지</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="329"/>
        <source>Newer registration</source>
        <translation>나중 등록</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="347"/>
        <location filename="../../ui/review_page.py" line="353"/>
        <location filename="../../ui/review_page.py" line="419"/>
        <source>Loading photos…</source>
        <translation>사진을 불러오는 중…</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="353"/>
        <source>No photo of this dog on this kiosk</source>
        <translation>이 키오스크에는 이 강아지의 사진이 없습니다</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="367"/>
        <source>Merge %1 (%2) into %3 (%4)? The newer registration is removed and its photos join the older one. This cannot be undone.</source>
        <translation>%1 (%2) 등록을 %3 (%4) 등록에 합칠까요? 나중 등록은 삭제되고 그 사진은 이전 등록에 더해집니다. 되돌릴 수 없습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="384"/>
        <source>Merging…</source>
        <translation>합치는 중…</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="384"/>
        <source>Saving…</source>
        <translation>저장 중…</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="400"/>
        <source>Kept as different dogs: %1 (%2) and %3 (%4).</source>
        <translation>다른 강아지로 두었습니다: %1 (%2), %3 (%4).</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="406"/>
        <source>Merged into %1 (%2)</source>
        <translation>%1 (%2) 등록에 합쳤습니다</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="409"/>
        <source>%1 (%2) is removed. %3 keeps its registration number and owner, and has the newer registration&apos;s nose photos too (added: %4).</source>
        <translation>%1 (%2) 등록은 삭제되었습니다. %3 등록은 등록번호와 보호자가 그대로이고, 나중 등록의 코 사진 %4장이 더해졌습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="414"/>
        <source>Nose photos of %1 (%2)</source>
        <translation>%1의 코 사진 (%2장)</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/review_page.py" line="426"/>
        <source>Next review (%n left)</source>
        <translation>
            <numerusform>다음 검토 (%n건 남음)</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="461"/>
        <source>Show contact</source>
        <translation>연락처 보기</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="420"/>
        <location filename="../../ui/review_page.py" line="426"/>
        <source>Done</source>
        <translation>완료</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="440"/>
        <source>Tell both owners:</source>
        <translation>두 보호자에게 알려 주세요:</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="441"/>
        <source>owner of %1 (%2), kept</source>
        <translation>%1 (%2)의 보호자 · 유지</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="443"/>
        <source>owner of %1 (%2), merged</source>
        <translation>%1 (%2)의 보호자 · 합쳐짐</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="478"/>
        <source>%1&apos;s registration is now part of %2&apos;s, which stays registered to %3.</source>
        <translation>%1의 등록은 이제 %2의 등록에 합쳐졌고, 보호자는 그대로 %3입니다.</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="447"/>
        <source>Tell the owner:</source>
        <translation>보호자에게 알려 주세요:</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="448"/>
        <source>owner of both registrations</source>
        <translation>두 등록 모두의 보호자</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="449"/>
        <source>%1&apos;s registration is now part of %2&apos;s: one registration number from now on, %3.</source>
        <translation>%1의 등록은 이제 %2의 등록에 합쳐졌습니다: 앞으로 등록번호는 %3 하나입니다.</translation>
    </message>
</context>
<context>
    <name>SettingsPage</name>
    <message>
        <location filename="../../ui/settings_page.py" line="51"/>
        <source>Settings</source>
        <translation>설정</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="61"/>
        <source>Folder…</source>
        <translation>폴더…</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="72"/>
        <source>empty: offline registry only</source>
        <translation>비워 두면: 오프라인 등록부만 사용</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="77"/>
        <location filename="../../ui/settings_page.py" line="142"/>
        <source>This kiosk</source>
        <translation>이 키오스크</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="80"/>
        <source>Camera</source>
        <translation>카메라</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="161"/>
        <source>Server address</source>
        <translation>서버 주소</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="81"/>
        <source>Language</source>
        <translation>언어</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="84"/>
        <source>Administrator</source>
        <translation>관리자</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="90"/>
        <source>Use the engine&apos;s default</source>
        <translation>엔진 기본값 사용</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="101"/>
        <source>Match threshold</source>
        <translation>일치 기준값</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="103"/>
        <source>A lower threshold finds more dogs but confuses more of them.</source>
        <translation>기준값을 낮추면 더 많이 찾지만 다른 강아지와 혼동도 늘어납니다.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="258"/>
        <source> min</source>
        <translation>분</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="259"/>
        <source>Lock when idle for</source>
        <translation>사용하지 않으면 잠금</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="113"/>
        <source>Save settings</source>
        <translation>설정 저장</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="55"/>
        <source>A camera (its name, or a number 0, 1, …), a video file or a folder of photos</source>
        <translation>카메라(이름 또는 번호 0, 1, …), 동영상 파일 또는 사진 폴더</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="57"/>
        <source>Cameras connected to this kiosk</source>
        <translation>이 키오스크에 연결된 카메라</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="85"/>
        <source>Change recognition settings</source>
        <translation>인식 설정 변경</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="143"/>
        <source>Staff</source>
        <translation>직원</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="153"/>
        <source>Server</source>
        <translation>서버</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="160"/>
        <source>Organisation</source>
        <translation>기관</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="166"/>
        <source>Enroll</source>
        <translation>등록</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="171"/>
        <location filename="../../ui/settings_page.py" line="199"/>
        <source>Enrollment code</source>
        <translation>등록 코드</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="197"/>
        <source>Not enrolled: this kiosk keeps its own registry and does not sync.</source>
        <translation>등록되지 않음: 이 키오스크는 자체 등록부만 사용하며 동기화하지 않습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="199"/>
        <source>New enrollment code</source>
        <translation>새 등록 코드</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="205"/>
        <source>Enrollment is not available here.</source>
        <translation>여기에서는 등록할 수 없습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="208"/>
        <source>Type the server&apos;s address first (https://host:port).</source>
        <translation>먼저 서버 주소를 입력하세요 (https://호스트:포트).</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="212"/>
        <source>Type the one-time code an administrator made with savepets devices enroll (16 letters and digits).</source>
        <translation>관리자가 savepets devices enroll로 만든 일회용 코드를 입력하세요 (영문자와 숫자 16자).</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="217"/>
        <source>Enrolling…</source>
        <translation>등록하는 중…</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="218"/>
        <source>Enrolling</source>
        <translation>등록 중</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="226"/>
        <source>Enrolled as %1 of %2. Its key is kept in the system&apos;s keyring; sync starts now.</source>
        <translation>%2의 %1(으)로 등록했습니다. 키는 시스템 키체인에 보관되며, 이제 동기화를 시작합니다.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="234"/>
        <source>This code was not accepted: it may be mistyped, used already or expired. Ask an administrator for a new one.</source>
        <translation>이 코드는 받아들여지지 않았습니다. 잘못 입력했거나, 이미 사용했거나, 만료되었을 수 있습니다. 관리자에게 새 코드를 요청하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="239"/>
        <source>The server cannot be reached. Check the address and the network, then try again.</source>
        <translation>서버에 연결할 수 없습니다. 주소와 네트워크를 확인한 뒤 다시 시도하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="241"/>
        <source>The server address must start with https:// (http:// only for this computer, e.g. http://127.0.0.1:8000): the key must not cross the network in clear text.</source>
        <translation>서버 주소는 https://로 시작해야 합니다 (http://는 이 컴퓨터 안에서만, 예: http://127.0.0.1:8000). 키가 암호화되지 않은 채 네트워크를 오가면 안 됩니다.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="244"/>
        <source>The server address is not a web address. Give it as https://host:port.</source>
        <translation>서버 주소가 웹 주소가 아닙니다. https://호스트:포트 형식으로 입력하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="246"/>
        <source>Not enrolled: %1</source>
        <translation>등록하지 못했습니다: %1</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="251"/>
        <source>Sign-in</source>
        <translation>로그인</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="260"/>
        <source>The kiosk also locks with the Lock button. Locking signs the member out and clears the pages.</source>
        <translation>잠금 버튼으로도 잠글 수 있습니다. 잠그면 로그인한 직원이 로그아웃되고 화면의 내용이 지워집니다.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="269"/>
        <source>What staff may see and do</source>
        <translation>직원이 볼 수 있는 것과 할 수 있는 일</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="277"/>
        <source>Shown with each dog opened</source>
        <translation>강아지를 열 때마다 표시</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="278"/>
        <source>Never (masked only)</source>
        <translation>보이지 않음 (가린 채로만)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="279"/>
        <source>Change dogs&apos; and owners&apos; details</source>
        <translation>강아지와 보호자 정보 수정</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="280"/>
        <source>Mark dogs lost, found or home</source>
        <translation>실종 · 발견 · 귀가 표시</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="282"/>
        <source>Owners&apos; contacts</source>
        <translation>보호자 연락처</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="285"/>
        <source>Administrators may do everything. Every contact shown is recorded.</source>
        <translation>관리자는 모든 일을 할 수 있습니다. 연락처를 볼 때마다 기록됩니다.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="294"/>
        <source>Staff accounts</source>
        <translation>직원 계정</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="297"/>
        <location filename="../../ui/settings_page.py" line="337"/>
        <source>Name</source>
        <translation>이름</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="297"/>
        <location filename="../../ui/settings_page.py" line="338"/>
        <source>Role</source>
        <translation>역할</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="297"/>
        <source>State</source>
        <translation>상태</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="309"/>
        <source>Add…</source>
        <translation>추가…</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="311"/>
        <location filename="../../ui/settings_page.py" line="454"/>
        <source>Disable</source>
        <translation>사용 중지</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="313"/>
        <source>New PIN…</source>
        <translation>새 PIN…</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="332"/>
        <source>%1 to %2 digits</source>
        <translation>숫자 %1~%2자리</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="334"/>
        <source>The same PIN again</source>
        <translation>같은 PIN을 한 번 더</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="339"/>
        <source>PIN</source>
        <translation>PIN</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="340"/>
        <source>PIN again</source>
        <translation>PIN 확인</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="341"/>
        <source>Cancel</source>
        <translation>취소</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="343"/>
        <source>Save</source>
        <translation>저장</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="389"/>
        <source>The kiosk now locks after %1 minutes without a touch.</source>
        <translation>이제 %1분 동안 사용하지 않으면 키오스크가 잠깁니다.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="398"/>
        <source>administrators only</source>
        <translation>관리자만 가능</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="428"/>
        <source>Saved: staff now see and do what is ticked.</source>
        <translation>저장했습니다. 이제 직원은 체크한 것만 보고 할 수 있습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="438"/>
        <source>Disabled</source>
        <translation>사용 중지됨</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="438"/>
        <source>Active</source>
        <translation>사용 중</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="454"/>
        <source>Enable</source>
        <translation>다시 사용</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="463"/>
        <source>%1 can sign in again.</source>
        <translation>%1 님이 다시 로그인할 수 있습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="464"/>
        <source>%1 can no longer sign in.</source>
        <translation>%1 님은 이제 로그인할 수 없습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="476"/>
        <source>New staff member</source>
        <translation>새 직원</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="477"/>
        <source>New PIN for %1</source>
        <translation>%1 님의 새 PIN</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="496"/>
        <source>Enter the member&apos;s name.</source>
        <translation>직원 이름을 입력하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="499"/>
        <location filename="../../ui/settings_page.py" line="534"/>
        <source>A PIN is %1 to %2 digits.</source>
        <translation>PIN은 숫자 %1~%2자리입니다.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="504"/>
        <source>The two PINs differ. Enter the same PIN again.</source>
        <translation>두 PIN이 다릅니다. 같은 PIN을 다시 입력하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="509"/>
        <source>%1 can now sign in with their PIN.</source>
        <translation>%1 님이 이제 PIN으로 로그인할 수 있습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="514"/>
        <source>New PIN set for %1.</source>
        <translation>%1 님의 새 PIN을 설정했습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="526"/>
        <source>A staff member of this name exists already.</source>
        <translation>같은 이름의 직원이 이미 있습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="528"/>
        <source>This is the last active administrator: add or enable another administrator first.</source>
        <translation>마지막 관리자입니다. 다른 관리자를 먼저 추가하거나 다시 사용하게 하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="530"/>
        <source>You cannot disable your own account while signed in with it.</source>
        <translation>로그인한 자신의 계정은 사용 중지할 수 없습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="532"/>
        <source>A name is 1 to 50 characters.</source>
        <translation>이름은 1~50자입니다.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="550"/>
        <source>Connected cameras…</source>
        <translation>연결된 카메라…</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="569"/>
        <source>Folder of photos to use as the camera</source>
        <translation>카메라 대신 사용할 사진 폴더</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="386"/>
        <location filename="../../ui/settings_page.py" line="609"/>
        <source>Could not save: %1</source>
        <translation>저장할 수 없습니다: %1</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="276"/>
        <source>Masked, shown on request</source>
        <translation>가려서 표시, 요청 시 보기</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="281"/>
        <source>Remove and merge registrations</source>
        <translation>등록 삭제·중복 합치기</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="611"/>
        <source>Saved to %1.</source>
        <translation>%1에 저장했습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="593"/>
        <source>Not saved: the server address must start with https:// (owners&apos; names and phone numbers must not cross the network in clear text; http:// only for this computer, e.g. http://127.0.0.1:8000).</source>
        <translation>저장하지 않았습니다: 서버 주소는 https://로 시작해야 합니다 (보호자 이름과 전화번호가 네트워크에서 암호화되지 않은 채 오가면 안 됩니다. http://는 이 컴퓨터 안에서만, 예: http://127.0.0.1:8000).</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="596"/>
        <source>Not saved: the server address is not a web address. Give it as https://host:port, e.g. https://savepets.example.org:8443.</source>
        <translation>저장하지 않았습니다: 서버 주소가 웹 주소가 아닙니다. https://호스트:포트 형식으로 입력하세요. 예: https://savepets.example.org:8443</translation>
    </message>
</context>
<context>
    <name>SignInPage</name>
    <message>
        <location filename="../../ui/signin_page.py" line="159"/>
        <location filename="../../ui/signin_page.py" line="190"/>
        <source>Sign in</source>
        <translation>로그인</translation>
    </message>
    <message>
        <location filename="../../ui/signin_page.py" line="160"/>
        <source>Owners&apos; names and phone numbers are kept here: only the shelter&apos;s staff may use this kiosk. Choose your name and enter your PIN.</source>
        <translation>이 키오스크에는 보호자의 이름과 전화번호가 있어 보호소 직원만 쓸 수 있습니다. 이름을 고르고 PIN을 입력하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/signin_page.py" line="178"/>
        <source>Your name</source>
        <translation>이름</translation>
    </message>
    <message>
        <location filename="../../ui/signin_page.py" line="181"/>
        <source>Choose above, or type your name</source>
        <translation>위에서 고르거나 이름을 입력하세요</translation>
    </message>
    <message>
        <location filename="../../ui/signin_page.py" line="184"/>
        <source>PIN</source>
        <translation>PIN</translation>
    </message>
    <message>
        <location filename="../../ui/signin_page.py" line="186"/>
        <source>%1 to %2 digits</source>
        <translation>숫자 %1~%2자리</translation>
    </message>
    <message>
        <location filename="../../ui/signin_page.py" line="213"/>
        <source>Starting…</source>
        <translation>시작하는 중…</translation>
    </message>
    <message>
        <location filename="../../ui/signin_page.py" line="273"/>
        <source>Choose or type your name.</source>
        <translation>이름을 고르거나 입력하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/signin_page.py" line="276"/>
        <source>Enter your PIN (%1 to %2 digits).</source>
        <translation>PIN을 입력하세요 (숫자 %1~%2자리).</translation>
    </message>
    <message>
        <location filename="../../ui/signin_page.py" line="280"/>
        <source>Signing in…</source>
        <translation>로그인하는 중…</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/signin_page.py" line="298"/>
        <source>Wrong PIN. Tries left before this account is locked for a minute: %n.</source>
        <translation>
            <numerusform>PIN이 틀렸습니다. 계정이 1분 동안 잠기기 전까지 남은 시도: %n번.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/signin_page.py" line="303"/>
        <source>Too many wrong PINs: this account is locked. Try again in %n minute(s).</source>
        <translation>
            <numerusform>PIN이 여러 번 틀려 이 계정이 잠겼습니다. %n분 후에 다시 시도하세요.</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/signin_page.py" line="305"/>
        <source>Too many wrong PINs: this account is locked. Try again in %1 seconds.</source>
        <translation>PIN이 여러 번 틀려 이 계정이 잠겼습니다. %1초 후에 다시 시도하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/signin_page.py" line="308"/>
        <source>No staff member has this name. Choose your name from the list.</source>
        <translation>이 이름의 직원이 없습니다. 목록에서 이름을 고르세요.</translation>
    </message>
    <message>
        <location filename="../../ui/signin_page.py" line="310"/>
        <source>This account is disabled. An administrator can enable it in Settings.</source>
        <translation>사용 중지된 계정입니다. 관리자가 설정에서 다시 사용하게 할 수 있습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/signin_page.py" line="312"/>
        <source>A PIN is %1 to %2 digits.</source>
        <translation>PIN은 숫자 %1~%2자리입니다.</translation>
    </message>
</context>
<context>
    <name>StrayPanel</name>
    <message>
        <location filename="../../ui/reunite_forms.py" line="212"/>
        <source>Take in as a stray</source>
        <translation>유기견으로 보호 시작</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="214"/>
        <source>A found case is opened with these photos. Dogs reported lost are searched first, then the whole registry; dogs reported lost later are searched against it too.</source>
        <translation>이 사진으로 발견 건을 엽니다. 실종 신고된 강아지부터, 다음에 전체 등록부에서 찾습니다. 나중에 실종 신고되는 강아지와도 비교합니다.</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="219"/>
        <source>A street, a park, a town</source>
        <translation>거리, 공원, 동네</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="224"/>
        <source>Where was it found?</source>
        <translation>어디에서 발견했나요?</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="225"/>
        <source>When (YYYY-MM-DD HH:MM)</source>
        <translation>언제 (YYYY-MM-DD HH:MM)</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="230"/>
        <source>Cancel</source>
        <translation>취소</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="232"/>
        <source>Open found case</source>
        <translation>발견 건 열기</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="260"/>
        <source>Compare on the Reunite page</source>
        <translation>가족 찾기에서 비교</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="263"/>
        <source>Look up another dog</source>
        <translation>다른 강아지 조회</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="314"/>
        <source>Where was the dog found? Enter a place.</source>
        <translation>강아지를 발견한 장소를 입력하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="319"/>
        <source>The time cannot be in the future, nor more than three years ago.</source>
        <translation>미래의 시간이나 3년보다 이전의 시간은 입력할 수 없습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="321"/>
        <source>Enter the time as YYYY-MM-DD HH:MM, e.g. %1.</source>
        <translation>시간은 YYYY-MM-DD HH:MM 형식으로 입력하세요. 예: %1</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="326"/>
        <source>Opening the found case…</source>
        <translation>발견 건을 여는 중…</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="333"/>
        <source>These photos cannot be used: %1</source>
        <translation>이 사진은 사용할 수 없습니다: %1</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="340"/>
        <source>Found case opened</source>
        <translation>발견 건을 열었습니다</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="342"/>
        <source>No holding period</source>
        <translation>보호 기간 없음</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="345"/>
        <source>Held until %1: last day today</source>
        <translation>%1까지 보호: 오늘이 마지막 날</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="346"/>
        <source>Held until %1: 1 more day</source>
        <translation>%1까지 보호: 1일 남음</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="347"/>
        <source>Held until %1: %2 more days</source>
        <translation>%1까지 보호: %2일 남음</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="350"/>
        <source>Found at %1, %2.</source>
        <translation>발견: %1, %2.</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="354"/>
        <source>reported lost</source>
        <translation>실종 신고됨</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="354"/>
        <source>in the registry</source>
        <translation>등록부</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="356"/>
        <source>It may be:</source>
        <translation>이 강아지일 수 있습니다:</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="363"/>
        <source>This dog is registered: its owner is being told. Confirm it on the Reunite page.</source>
        <translation>등록된 강아지입니다. 보호자에게 알리는 중입니다. 가족 찾기에서 확인하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="365"/>
        <source>This dog is registered: confirm it on the Reunite page and call its owner.</source>
        <translation>등록된 강아지입니다. 가족 찾기에서 확인하고 보호자에게 연락하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="367"/>
        <source>It may be a registered dog: compare the photos.</source>
        <translation>등록된 강아지일 수 있습니다. 사진을 비교하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/reunite_forms.py" line="368"/>
        <source>No registered dog matches yet. The case stays open: a dog reported lost later is searched against it.</source>
        <translation>아직 맞는 등록 강아지가 없습니다. 발견 건은 열려 있으며, 나중에 실종 신고되는 강아지와 비교합니다.</translation>
    </message>
</context>
<context>
    <name>SyncStatusWidget</name>
    <message>
        <location filename="../../ui/sync_status.py" line="43"/>
        <source>Offline registry only (no server configured)</source>
        <translation>오프라인 등록부만 사용 (서버 미설정)</translation>
    </message>
    <message>
        <location filename="../../ui/sync_status.py" line="45"/>
        <source>Online</source>
        <translation>온라인</translation>
    </message>
    <message>
        <location filename="../../ui/sync_status.py" line="47"/>
        <source>Syncing…</source>
        <translation>동기화 중…</translation>
    </message>
    <message>
        <location filename="../../ui/sync_status.py" line="49"/>
        <source>Sync error</source>
        <translation>동기화 오류</translation>
    </message>
    <message>
        <location filename="../../ui/sync_status.py" line="51"/>
        <source>Offline</source>
        <translation>오프라인</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/sync_status.py" line="54"/>
        <source>%n change(s) waiting</source>
        <translation>
            <numerusform>보내지 않은 변경 %n건</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/sync_status.py" line="56"/>
        <source>last sync %1</source>
        <translation>마지막 동기화 %1</translation>
    </message>
</context>
<context>
    <name>Texts</name>
    <message>
        <location filename="../../ui/texts.py" line="15"/>
        <source>Too blurry: hold still</source>
        <translation>너무 흐립니다: 움직이지 마세요</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="16"/>
        <source>Too dark: add light</source>
        <translation>너무 어둡습니다: 조명을 밝게 하세요</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="17"/>
        <source>Too bright: avoid direct light</source>
        <translation>너무 밝습니다: 직사광을 피하세요</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="18"/>
        <source>Glare on the nose: change the angle</source>
        <translation>코에 빛 반사: 각도를 바꾸세요</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="19"/>
        <source>Move closer to the nose</source>
        <translation>코에 더 가까이 대세요</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="20"/>
        <source>Fill the guide with the nose</source>
        <translation>코가 안내선을 채우도록 맞추세요</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="21"/>
        <source>Already registered</source>
        <translation>이미 등록됨</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="22"/>
        <source>Same photo as another one</source>
        <translation>다른 사진과 같은 사진</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="23"/>
        <source>Does not look like the same nose as the others</source>
        <translation>다른 사진과 같은 코로 보이지 않습니다</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="24"/>
        <source>Not a usable image</source>
        <translation>사용할 수 없는 이미지</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="25"/>
        <source>Good: hold still</source>
        <translation>좋습니다: 그대로 계세요</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="27"/>
        <source>Certain</source>
        <translation>확실함</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="28"/>
        <source>Possible match — check by eye</source>
        <translation>가능성 있음 — 눈으로 확인하세요</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="29"/>
        <source>Not registered</source>
        <translation>등록되지 않음</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="37"/>
        <source>At home</source>
        <translation>집에 있음</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="38"/>
        <source>Lost</source>
        <translation>실종</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="39"/>
        <source>Found (in care)</source>
        <translation>발견 (보호 중)</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="40"/>
        <source>Deceased</source>
        <translation>사망</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="41"/>
        <source>Male</source>
        <translation>수컷</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="42"/>
        <source>Female</source>
        <translation>암컷</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="43"/>
        <source>Unknown</source>
        <translation>모름</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="44"/>
        <source>Not a usable photo file (JPEG or PNG expected).</source>
        <translation>사용할 수 없는 사진 파일입니다 (JPEG 또는 PNG).</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="46"/>
        <source>Your role may not see owners&apos; contact details. An administrator decides this in Settings.</source>
        <translation>내 역할로는 보호자 연락처를 볼 수 없습니다. 관리자가 설정에서 정합니다.</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="48"/>
        <source>Your role may not change dogs&apos; or owners&apos; details. An administrator decides this in Settings.</source>
        <translation>내 역할로는 강아지나 보호자 정보를 바꿀 수 없습니다. 관리자가 설정에서 정합니다.</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="50"/>
        <source>Your role may not change a dog&apos;s status. An administrator decides this in Settings.</source>
        <translation>내 역할로는 강아지 상태를 바꿀 수 없습니다. 관리자가 설정에서 정합니다.</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="52"/>
        <source>Your role may not remove registrations. An administrator decides this in Settings.</source>
        <translation>내 역할로는 등록을 삭제할 수 없습니다. 관리자가 설정에서 정합니다.</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="54"/>
        <source>Only an administrator may do this.</source>
        <translation>관리자만 할 수 있습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="55"/>
        <source>Sign in first: the kiosk is locked.</source>
        <translation>먼저 로그인하세요. 키오스크가 잠겨 있습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="56"/>
        <source>This dog is registered with another organisation: you may mark it lost or found, but only that organisation changes or removes it.</source>
        <translation>이 반려견은 다른 기관에 등록되어 있습니다. 실종 또는 발견으로 표시할 수는 있지만, 변경과 삭제는 그 기관만 할 수 있습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="60"/>
        <source>Staff</source>
        <translation>직원</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="61"/>
        <source>Administrator</source>
        <translation>관리자</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="31"/>
        <source>One registered dog clearly matches.</source>
        <translation>등록된 강아지 한 마리와 확실히 일치합니다.</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="32"/>
        <source>Several registered dogs look alike. Compare the noses and choose.</source>
        <translation>닮은 등록 강아지가 여러 마리입니다. 코를 비교해서 골라 주세요.</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="33"/>
        <source>A registered dog looks alike, but not enough to be sure: compare.</source>
        <translation>닮은 등록 강아지가 있지만 확실하지 않습니다. 코를 비교해 주세요.</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="34"/>
        <source>No registered dog is alike enough to be this dog.</source>
        <translation>이 강아지라고 할 만큼 닮은 등록 강아지가 없습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="35"/>
        <source>The registry has no dogs yet.</source>
        <translation>아직 등록된 강아지가 없습니다.</translation>
    </message>
</context>
</TS>
