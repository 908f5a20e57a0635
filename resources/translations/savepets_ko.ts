<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ko_KR">
<context>
    <name>CapturePanel</name>
    <message>
        <location filename="../../ui/widgets.py" line="226"/>
        <source>Take photo</source>
        <translation>사진 찍기</translation>
    </message>
    <message>
        <location filename="../../ui/widgets.py" line="229"/>
        <source>Photo from file…</source>
        <translation>파일에서 사진…</translation>
    </message>
    <message>
        <location filename="../../ui/widgets.py" line="231"/>
        <source>Auto-capture</source>
        <translation>자동 촬영</translation>
    </message>
    <message>
        <location filename="../../ui/widgets.py" line="262"/>
        <source>The camera was disconnected. Reconnect it, or use “Photo from file…”.</source>
        <translation>카메라 연결이 끊겼습니다. 다시 연결하거나 “파일에서 사진…”을 사용하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets.py" line="264"/>
        <source>No camera. Check the camera in Settings, or use “Photo from file…”.</source>
        <translation>카메라가 없습니다. 설정에서 카메라를 확인하거나 “파일에서 사진…”을 사용하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets.py" line="271"/>
        <source>Starting the camera…</source>
        <translation>카메라를 켜는 중…</translation>
    </message>
    <message>
        <location filename="../../ui/widgets.py" line="287"/>
        <source>Choose a nose photo</source>
        <translation>코 사진 선택</translation>
    </message>
    <message>
        <location filename="../../ui/widgets.py" line="288"/>
        <source>Images (*.jpg *.jpeg *.png *.bmp *.webp);;All files (*)</source>
        <translation>이미지 (*.jpg *.jpeg *.png *.bmp *.webp);;모든 파일 (*)</translation>
    </message>
</context>
<context>
    <name>CaptureView</name>
    <message>
        <location filename="../../ui/widgets.py" line="83"/>
        <source>Starting the camera…</source>
        <translation>카메라를 켜는 중…</translation>
    </message>
    <message>
        <location filename="../../ui/widgets.py" line="154"/>
        <source>Photo taken</source>
        <translation>사진을 찍었습니다</translation>
    </message>
    <message>
        <location filename="../../ui/widgets.py" line="156"/>
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
        <source>This dog</source>
        <translation>이 강아지</translation>
    </message>
    <message>
        <source>None of these</source>
        <translation>이 중에 없음</translation>
    </message>
    <message>
        <source>This is the dog</source>
        <translation>이 강아지가 맞습니다</translation>
    </message>
    <message>
        <source>These are the closest registered dogs.</source>
        <translation>가장 닮은 등록 강아지들입니다.</translation>
    </message>
    <message>
        <source>No photo</source>
        <translation>사진 없음</translation>
    </message>
    <message numerus="yes">
        <source>Photos taken: %n</source>
        <translation>
            <numerusform>찍은 사진: %n장</numerusform>
        </translation>
    </message>
    <message>
        <source>Tap a photo to zoom in, tap again to see all of it.</source>
        <translation>사진을 누르면 확대되고, 다시 누르면 전체가 보입니다.</translation>
    </message>
    <message>
        <source>Loading photos…</source>
        <translation>사진을 불러오는 중…</translation>
    </message>
    <message>
        <source>match probability %1 · score %2</source>
        <translation>일치 가능성 %1 · 점수 %2</translation>
    </message>
    <message>
        <source>No photo of this dog on this kiosk</source>
        <translation>이 키오스크에는 이 강아지의 사진이 없습니다</translation>
    </message>
</context>
<context>
    <name>Controller</name>
    <message>
        <location filename="../../ui/controller.py" line="61"/>
        <source>Loading…</source>
        <translation>불러오는 중…</translation>
    </message>
</context>
<context>
    <name>DogCard</name>
    <message>
        <location filename="../../ui/widgets.py" line="372"/>
        <source>Registration number</source>
        <translation>등록번호</translation>
    </message>
    <message>
        <location filename="../../ui/widgets.py" line="372"/>
        <source>Breed</source>
        <translation>품종</translation>
    </message>
    <message>
        <location filename="../../ui/widgets.py" line="373"/>
        <source>Sex</source>
        <translation>성별</translation>
    </message>
    <message>
        <location filename="../../ui/widgets.py" line="373"/>
        <source>Status</source>
        <translation>상태</translation>
    </message>
    <message>
        <location filename="../../ui/widgets.py" line="373"/>
        <source>Owner</source>
        <translation>보호자</translation>
    </message>
    <message>
        <location filename="../../ui/widgets.py" line="374"/>
        <source>Contact</source>
        <translation>연락처</translation>
    </message>
    <message>
        <location filename="../../ui/widgets.py" line="418"/>
        <source>No photo</source>
        <translation>사진 없음</translation>
    </message>
</context>
<context>
    <name>DogPane</name>
    <message>
        <location filename="../../ui/review_page.py" line="78"/>
        <source>Registered %1</source>
        <translation>등록일 %1</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="81"/>
        <source>Owner: %1</source>
        <translation>보호자: %1</translation>
    </message>
</context>
<context>
    <name>LookupPage</name>
    <message>
        <location filename="../../ui/lookup_page.py" line="23"/>
        <source>Who is this dog?</source>
        <translation>이 강아지는 누구일까요?</translation>
    </message>
    <message>
        <location filename="../../ui/lookup_page.py" line="40"/>
        <source>Look up another dog</source>
        <translation>다른 강아지 조회</translation>
    </message>
    <message>
        <location filename="../../ui/lookup_page.py" line="55"/>
        <source>Not registered</source>
        <translation>등록되지 않음</translation>
    </message>
    <message>
        <location filename="../../ui/lookup_page.py" line="59"/>
        <source>Register this dog</source>
        <translation>이 강아지 등록하기</translation>
    </message>
    <message>
        <location filename="../../ui/lookup_page.py" line="62"/>
        <location filename="../../ui/lookup_page.py" line="74"/>
        <source>Try again</source>
        <translation>다시 시도</translation>
    </message>
    <message>
        <location filename="../../ui/lookup_page.py" line="130"/>
        <source>Looking up…</source>
        <translation>조회 중…</translation>
    </message>
    <message>
        <location filename="../../ui/lookup_page.py" line="173"/>
        <source>This photo cannot be used: %1</source>
        <translation>이 사진은 사용할 수 없습니다: %1</translation>
    </message>
    <message>
        <source>Hold the nose inside the guide. Three photos are taken by themselves when the picture is good.</source>
        <translation>코를 안내선 안에 맞춰 주세요. 사진이 좋으면 자동으로 3장을 찍습니다.</translation>
    </message>
    <message>
        <source>The result appears here.

You can also drop photo files of one dog here (up to 5).</source>
        <translation>결과가 여기에 나타납니다.

한 강아지의 사진 파일(최대 5장)을 여기로 끌어 놓아도 됩니다.</translation>
    </message>
    <message>
        <source>Compare with the closest dogs</source>
        <translation>가장 닮은 강아지와 비교</translation>
    </message>
    <message>
        <source>Photo %1/%2</source>
        <translation>사진 %1/%2</translation>
    </message>
    <message>
        <source>Confirmed by staff</source>
        <translation>직원이 확인함</translation>
    </message>
    <message>
        <source>None of the look-alike dogs is this dog.</source>
        <translation>닮은 강아지 중에 이 강아지는 없습니다.</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../ui/main_window.py" line="38"/>
        <source>SavePets — nose print registry</source>
        <translation>SavePets — 비문 등록부</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="61"/>
        <source>Look up</source>
        <translation>조회</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="62"/>
        <source>Register</source>
        <translation>등록</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="63"/>
        <source>Registry</source>
        <translation>등록부</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="64"/>
        <source>Settings</source>
        <translation>설정</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="156"/>
        <source>Camera: %1</source>
        <translation>카메라: %1</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="161"/>
        <source>No camera</source>
        <translation>카메라 없음</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="161"/>
        <source>Camera disconnected</source>
        <translation>카메라 연결 끊김</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="177"/>
        <source>Could not start: %1</source>
        <translation>시작할 수 없습니다: %1</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="71"/>
        <location filename="../../ui/main_window.py" line="218"/>
        <source>Review</source>
        <translation>검토</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/main_window.py" line="219"/>
        <source>%n pair(s) of registrations to review</source>
        <translation>
            <numerusform>검토할 등록 %n쌍</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>PhotoSlots</name>
    <message>
        <location filename="../../ui/widgets.py" line="346"/>
        <source>Empty</source>
        <translation>비어 있음</translation>
    </message>
    <message>
        <location filename="../../ui/widgets.py" line="346"/>
        <source>Checking…</source>
        <translation>확인 중…</translation>
    </message>
    <message>
        <location filename="../../ui/widgets.py" line="346"/>
        <source>Good</source>
        <translation>좋음</translation>
    </message>
    <message>
        <location filename="../../ui/widgets.py" line="347"/>
        <source>Retake</source>
        <translation>다시 찍기</translation>
    </message>
</context>
<context>
    <name>RegisterPage</name>
    <message>
        <location filename="../../ui/register_page.py" line="76"/>
        <source>Take 5 photos of the nose. Tap a photo to take it again.</source>
        <translation>코 사진 5장을 찍어 주세요. 다시 찍으려면 사진을 누르세요.</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="79"/>
        <source>Next: owner and dog</source>
        <translation>다음: 보호자와 강아지 정보</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="83"/>
        <location filename="../../ui/register_page.py" line="103"/>
        <source>Start over</source>
        <translation>처음부터 다시</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="98"/>
        <source>This dog is already registered</source>
        <translation>이미 등록된 강아지입니다</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="100"/>
        <source>A dog cannot be registered twice. This is the registration found:</source>
        <translation>같은 강아지를 두 번 등록할 수 없습니다. 찾은 등록 정보:</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="129"/>
        <source>YYYY-MM-DD (optional)</source>
        <translation>YYYY-MM-DD (선택)</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="131"/>
        <source>Unknown</source>
        <translation>모름</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="132"/>
        <source>Yes</source>
        <translation>예</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="133"/>
        <source>No</source>
        <translation>아니요</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="153"/>
        <source>Owner&apos;s phone *</source>
        <translation>보호자 전화번호 *</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="155"/>
        <source>Owner&apos;s name</source>
        <translation>보호자 이름</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="162"/>
        <source>Dog&apos;s name *</source>
        <translation>강아지 이름 *</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="164"/>
        <source>Breed</source>
        <translation>품종</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="168"/>
        <source>Sex</source>
        <translation>성별</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="165"/>
        <source>Birth date</source>
        <translation>생년월일</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="150"/>
        <source>Owner</source>
        <translation>보호자</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="159"/>
        <source>Dog</source>
        <translation>강아지</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="169"/>
        <source>Neutered</source>
        <translation>중성화</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="171"/>
        <source>Notes</source>
        <translation>메모</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="181"/>
        <source>Back to photos</source>
        <translation>사진으로 돌아가기</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="183"/>
        <source>Register</source>
        <translation>등록</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="211"/>
        <source>Registered</source>
        <translation>등록 완료</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="221"/>
        <source>Print card…</source>
        <translation>등록증 인쇄…</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="223"/>
        <source>Save card as image…</source>
        <translation>등록증 이미지로 저장…</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="225"/>
        <source>Save card as PDF…</source>
        <translation>등록증 PDF로 저장…</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="227"/>
        <source>Register another dog</source>
        <translation>다른 강아지 등록</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="254"/>
        <source>Register a dog — 1. Nose photos</source>
        <translation>강아지 등록 — 1. 코 사진</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="255"/>
        <source>Register a dog — already registered</source>
        <translation>강아지 등록 — 이미 등록됨</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="256"/>
        <source>Register a dog — 2. Owner and dog</source>
        <translation>강아지 등록 — 2. 보호자와 강아지</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="257"/>
        <source>Register a dog — 3. Done</source>
        <translation>강아지 등록 — 3. 완료</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="293"/>
        <source>Take photo %1 again.</source>
        <translation>%1번 사진을 다시 찍어 주세요.</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="329"/>
        <source>Checking the photo…</source>
        <translation>사진 확인 중…</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="334"/>
        <source>Same photo as photo %1</source>
        <translation>%1번 사진과 같은 사진</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="336"/>
        <source>Photo %1 is the same as photo %2: move a little and take it again.</source>
        <translation>%1번 사진이 %2번 사진과 같습니다. 조금 움직여서 다시 찍어 주세요.</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="345"/>
        <location filename="../../ui/register_page.py" line="463"/>
        <source>Photo %1: %2. Take it again.</source>
        <translation>%1번 사진: %2. 다시 찍어 주세요.</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="350"/>
        <source>Photo %1 is good.</source>
        <translation>%1번 사진이 좋습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="355"/>
        <source>Photo %1 cannot be used: %2</source>
        <translation>%1번 사진은 사용할 수 없습니다: %2</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="365"/>
        <source>All 5 photos are good. Tap Next.</source>
        <translation>사진 5장이 모두 좋습니다. 다음을 누르세요.</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="388"/>
        <location filename="../../ui/register_page.py" line="417"/>
        <source>Enter a valid phone number, e.g. 010-1234-5678.</source>
        <translation>올바른 전화번호를 입력하세요 (예: 010-1234-5678).</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="395"/>
        <source>New owner</source>
        <translation>새 보호자</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="399"/>
        <source>Existing owner: %1</source>
        <translation>기존 보호자: %1</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="429"/>
        <source>The dog&apos;s name is required.</source>
        <translation>강아지 이름을 입력하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="431"/>
        <source>Use a past date written as YYYY-MM-DD.</source>
        <translation>지난 날짜를 YYYY-MM-DD 형식으로 입력하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="447"/>
        <source>Registering…</source>
        <translation>등록 중…</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="476"/>
        <source>Registration number: %1</source>
        <translation>등록번호: %1</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="482"/>
        <source>Existing owner: the dog was added to their dogs.</source>
        <translation>기존 보호자: 보호자의 반려견 목록에 추가되었습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="495"/>
        <source>PDF (*.pdf)</source>
        <translation>PDF (*.pdf)</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="495"/>
        <source>PNG image (*.png)</source>
        <translation>PNG 이미지 (*.png)</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="496"/>
        <source>Save card</source>
        <translation>등록증 저장</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="500"/>
        <source>Saved: %1</source>
        <translation>저장됨: %1</translation>
    </message>
    <message>
        <location filename="../../ui/register_page.py" line="508"/>
        <source>Sent to the printer.</source>
        <translation>프린터로 보냈습니다.</translation>
    </message>
    <message>
        <source>The dog was registered and flagged for an administrator&apos;s review because it looks like %1.</source>
        <translation>등록되었습니다. 다음 강아지와 닮아서 관리자가 검토하도록 표시했습니다: %1</translation>
    </message>
</context>
<context>
    <name>RegistryPage</name>
    <message>
        <location filename="../../ui/registry_page.py" line="36"/>
        <source>Registry</source>
        <translation>등록부</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="39"/>
        <source>Search by name, phone or registration number</source>
        <translation>이름, 전화번호 또는 등록번호로 검색</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="42"/>
        <source>All</source>
        <translation>전체</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="55"/>
        <source>Registration number</source>
        <translation>등록번호</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="55"/>
        <location filename="../../ui/registry_page.py" line="102"/>
        <source>Name</source>
        <translation>이름</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="103"/>
        <source>Breed</source>
        <translation>품종</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="55"/>
        <source>Status</source>
        <translation>상태</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="56"/>
        <source>Phone</source>
        <translation>전화번호</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="67"/>
        <source>No dogs found.</source>
        <translation>찾은 강아지가 없습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="104"/>
        <source>Owner&apos;s name</source>
        <translation>보호자 이름</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="105"/>
        <source>Notes</source>
        <translation>메모</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="106"/>
        <source>Save changes</source>
        <translation>변경 내용 저장</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="111"/>
        <source>Mark lost</source>
        <translation>실종 신고</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="111"/>
        <source>Mark found</source>
        <translation>발견(보호 중)</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="112"/>
        <source>Back home</source>
        <translation>귀가</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="217"/>
        <source>Nothing changed.</source>
        <translation>바뀐 내용이 없습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="222"/>
        <source>The dog&apos;s name is required.</source>
        <translation>강아지 이름을 입력하세요.</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="228"/>
        <location filename="../../ui/registry_page.py" line="234"/>
        <source>Saving…</source>
        <translation>저장 중…</translation>
    </message>
    <message>
        <location filename="../../ui/registry_page.py" line="237"/>
        <source>Saved: %1 is now “%2”.</source>
        <translation>저장됨: %1 — 현재 “%2”.</translation>
    </message>
</context>
<context>
    <name>ReviewPage</name>
    <message>
        <location filename="../../ui/review_page.py" line="99"/>
        <source>Review possible duplicates</source>
        <translation>중복 의심 등록 검토</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="105"/>
        <source>Previous pair</source>
        <translation>이전 쌍</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="106"/>
        <source>Next pair</source>
        <translation>다음 쌍</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="131"/>
        <source>Different dogs</source>
        <translation>다른 강아지입니다</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="134"/>
        <source>Same dog (merge into the older)</source>
        <translation>같은 강아지 (이전 등록으로 합치기)</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="148"/>
        <source>Cancel</source>
        <translation>취소</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="151"/>
        <source>Yes, merge</source>
        <translation>네, 합치기</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="175"/>
        <source>Nothing to review.

When a new registration looks like a registered dog without being a sure match, the two appear here side by side.</source>
        <translation>검토할 등록이 없습니다.

새로 등록한 강아지가 등록된 강아지와 닮았지만 확실히 같다고 할 수 없으면, 두 등록이 여기에 나란히 나옵니다.</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="281"/>
        <source>Pair %1 of %2</source>
        <translation>%2쌍 중 %1번째</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="283"/>
        <source>Registered on two kiosks; the server found them alike.</source>
        <translation>두 키오스크에서 따로 등록되었고, 서버가 닮은 것을 찾았습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="284"/>
        <source>Flagged when the newer dog was registered.</source>
        <translation>나중 등록 때 표시되었습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="285"/>
        <source>These two registrations look alike (similarity %1). %2 Compare the noses: tap a photo to zoom in.</source>
        <translation>두 등록이 닮았습니다 (유사도 %1). %2 코를 비교하세요: 사진을 누르면 확대됩니다.</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="287"/>
        <source>Older registration · kept</source>
        <translation>이전 등록 · 유지</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="288"/>
        <source>Newer registration</source>
        <translation>나중 등록</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="306"/>
        <location filename="../../ui/review_page.py" line="312"/>
        <location filename="../../ui/review_page.py" line="379"/>
        <source>Loading photos…</source>
        <translation>사진을 불러오는 중…</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="312"/>
        <source>No photo of this dog on this kiosk</source>
        <translation>이 키오스크에는 이 강아지의 사진이 없습니다</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="326"/>
        <source>Merge %1 (%2) into %3 (%4)? The newer registration is removed and its photos join the older one. This cannot be undone.</source>
        <translation>%1 (%2) 등록을 %3 (%4) 등록에 합칠까요? 나중 등록은 삭제되고 그 사진은 이전 등록에 더해집니다. 되돌릴 수 없습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="343"/>
        <source>Merging…</source>
        <translation>합치는 중…</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="343"/>
        <source>Saving…</source>
        <translation>저장 중…</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="360"/>
        <source>Kept as different dogs: %1 (%2) and %3 (%4).</source>
        <translation>다른 강아지로 두었습니다: %1 (%2), %3 (%4).</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="366"/>
        <source>Merged into %1 (%2)</source>
        <translation>%1 (%2) 등록에 합쳤습니다</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="369"/>
        <source>%1 (%2) is removed. %3 keeps its registration number and owner, and has the newer registration&apos;s nose photos too (added: %4).</source>
        <translation>%1 (%2) 등록은 삭제되었습니다. %3 등록은 등록번호와 보호자가 그대로이고, 나중 등록의 코 사진 %4장이 더해졌습니다.</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="374"/>
        <source>Nose photos of %1 (%2)</source>
        <translation>%1의 코 사진 (%2장)</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/review_page.py" line="381"/>
        <source>Next review (%n left)</source>
        <translation>
            <numerusform>다음 검토 (%n건 남음)</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="381"/>
        <source>Done</source>
        <translation>완료</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="392"/>
        <source>Tell both owners:</source>
        <translation>두 보호자에게 알려 주세요:</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="393"/>
        <source>owner of %1 (%2), kept</source>
        <translation>%1 (%2)의 보호자 · 유지</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="395"/>
        <source>owner of %1 (%2), merged</source>
        <translation>%1 (%2)의 보호자 · 합쳐짐</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="397"/>
        <source>%1&apos;s registration is now part of %2&apos;s, which stays registered to %3.</source>
        <translation>%1의 등록은 이제 %2의 등록에 합쳐졌고, 보호자는 그대로 %3입니다.</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="401"/>
        <source>Tell the owner:</source>
        <translation>보호자에게 알려 주세요:</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="402"/>
        <source>owner of both registrations</source>
        <translation>두 등록 모두의 보호자</translation>
    </message>
    <message>
        <location filename="../../ui/review_page.py" line="403"/>
        <source>%1&apos;s registration is now part of %2&apos;s: one registration number from now on, %3.</source>
        <translation>%1의 등록은 이제 %2의 등록에 합쳐졌습니다: 앞으로 등록번호는 %3 하나입니다.</translation>
    </message>
</context>
<context>
    <name>SettingsPage</name>
    <message>
        <location filename="../../ui/settings_page.py" line="33"/>
        <source>Settings</source>
        <translation>설정</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="36"/>
        <source>A camera number (0, 1, …), a video file or a folder of photos</source>
        <translation>카메라 번호 (0, 1, …), 동영상 파일 또는 사진 폴더</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="37"/>
        <source>Folder…</source>
        <translation>폴더…</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="43"/>
        <source>empty: offline registry only</source>
        <translation>비워 두면: 오프라인 등록부만 사용</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="50"/>
        <source>This kiosk</source>
        <translation>이 키오스크</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="53"/>
        <source>Camera</source>
        <translation>카메라</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="54"/>
        <source>Server address</source>
        <translation>서버 주소</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="55"/>
        <source>API key</source>
        <translation>API 키</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="56"/>
        <source>Language</source>
        <translation>언어</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="58"/>
        <source>Administrator</source>
        <translation>관리자</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="59"/>
        <source>Change recognition settings (administrators only)</source>
        <translation>인식 설정 변경 (관리자 전용)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="64"/>
        <source>Use the engine&apos;s default</source>
        <translation>엔진 기본값 사용</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="75"/>
        <source>Match threshold</source>
        <translation>일치 기준값</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="77"/>
        <source>A lower threshold finds more dogs but confuses more of them.</source>
        <translation>기준값을 낮추면 더 많이 찾지만 다른 강아지와 혼동도 늘어납니다.</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="85"/>
        <source>Save settings</source>
        <translation>설정 저장</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="101"/>
        <source>Folder of photos to use as the camera</source>
        <translation>카메라 대신 사용할 사진 폴더</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="121"/>
        <source>Could not save: %1</source>
        <translation>저장할 수 없습니다: %1</translation>
    </message>
    <message>
        <location filename="../../ui/settings_page.py" line="123"/>
        <source>Saved to %1.</source>
        <translation>%1에 저장했습니다.</translation>
    </message>
</context>
<context>
    <name>SyncStatusWidget</name>
    <message>
        <location filename="../../ui/widgets.py" line="459"/>
        <source>Offline registry only (no server configured)</source>
        <translation>오프라인 등록부만 사용 (서버 미설정)</translation>
    </message>
    <message>
        <location filename="../../ui/widgets.py" line="461"/>
        <source>Online</source>
        <translation>온라인</translation>
    </message>
    <message>
        <location filename="../../ui/widgets.py" line="463"/>
        <source>Syncing…</source>
        <translation>동기화 중…</translation>
    </message>
    <message>
        <location filename="../../ui/widgets.py" line="465"/>
        <source>Sync error</source>
        <translation>동기화 오류</translation>
    </message>
    <message>
        <location filename="../../ui/widgets.py" line="467"/>
        <source>Offline</source>
        <translation>오프라인</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/widgets.py" line="470"/>
        <source>%n change(s) waiting</source>
        <translation>
            <numerusform>보내지 않은 변경 %n건</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/widgets.py" line="472"/>
        <source>last sync %1</source>
        <translation>마지막 동기화 %1</translation>
    </message>
</context>
<context>
    <name>Texts</name>
    <message>
        <location filename="../../ui/texts.py" line="13"/>
        <source>Too blurry: hold still</source>
        <translation>너무 흐립니다: 움직이지 마세요</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="14"/>
        <source>Too dark: add light</source>
        <translation>너무 어둡습니다: 조명을 밝게 하세요</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="15"/>
        <source>Too bright: avoid direct light</source>
        <translation>너무 밝습니다: 직사광을 피하세요</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="16"/>
        <source>Glare on the nose: change the angle</source>
        <translation>코에 빛 반사: 각도를 바꾸세요</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="17"/>
        <source>Move closer to the nose</source>
        <translation>코에 더 가까이 대세요</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="18"/>
        <source>Fill the guide with the nose</source>
        <translation>코가 안내선을 채우도록 맞추세요</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="19"/>
        <source>Already registered</source>
        <translation>이미 등록됨</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="20"/>
        <source>Same photo as another one</source>
        <translation>다른 사진과 같은 사진</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="21"/>
        <source>Does not look like the same nose as the others</source>
        <translation>다른 사진과 같은 코로 보이지 않습니다</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="22"/>
        <source>Not a usable image</source>
        <translation>사용할 수 없는 이미지</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="23"/>
        <source>Good: hold still</source>
        <translation>좋습니다: 그대로 계세요</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="25"/>
        <source>Certain</source>
        <translation>확실함</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="26"/>
        <source>Possible match — check by eye</source>
        <translation>가능성 있음 — 눈으로 확인하세요</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="27"/>
        <source>Not registered</source>
        <translation>등록되지 않음</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="29"/>
        <source>At home</source>
        <translation>집에 있음</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="30"/>
        <source>Lost</source>
        <translation>실종</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="31"/>
        <source>Found (in care)</source>
        <translation>발견 (보호 중)</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="32"/>
        <source>Deceased</source>
        <translation>사망</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="33"/>
        <source>Male</source>
        <translation>수컷</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="34"/>
        <source>Female</source>
        <translation>암컷</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="35"/>
        <source>Unknown</source>
        <translation>모름</translation>
    </message>
    <message>
        <location filename="../../ui/texts.py" line="36"/>
        <source>Not a usable photo file (JPEG or PNG expected).</source>
        <translation>사용할 수 없는 사진 파일입니다 (JPEG 또는 PNG).</translation>
    </message>
    <message>
        <source>One registered dog clearly matches.</source>
        <translation>등록된 강아지 한 마리와 확실히 일치합니다.</translation>
    </message>
    <message>
        <source>Several registered dogs look alike. Compare the noses and choose.</source>
        <translation>닮은 등록 강아지가 여러 마리입니다. 코를 비교해서 골라 주세요.</translation>
    </message>
    <message>
        <source>A registered dog looks alike, but not enough to be sure: compare.</source>
        <translation>닮은 등록 강아지가 있지만 확실하지 않습니다. 코를 비교해 주세요.</translation>
    </message>
    <message>
        <source>No registered dog is alike enough to be this dog.</source>
        <translation>이 강아지라고 할 만큼 닮은 등록 강아지가 없습니다.</translation>
    </message>
    <message>
        <source>The registry has no dogs yet.</source>
        <translation>아직 등록된 강아지가 없습니다.</translation>
    </message>
</context>
</TS>
