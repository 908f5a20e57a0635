#!/usr/bin/env bash
# Refresh the Korean translation source from the code, then compile it (run from the repository root).
# Translate new strings with pyside6-linguist resources/translations/savepets_ko.ts before compiling.
set -euo pipefail
pyside6-lupdate ui/*.py kiosk/app.py -ts resources/translations/savepets_ko.ts -target-language ko_KR -no-obsolete
pyside6-lrelease resources/translations/savepets_ko.ts -qm resources/translations/savepets_ko.qm
