"""Replication: moving registry changes between databases (kiosks <-> the central server). No HTTP here.

The unit of replication is the *dog bundle*: a dog with its owner, photos and templates, as one typed state
(`bundle.DogBundle`). Review flags travel as their own small entity (`bundle.FlagState`), and so do Reunite's lost
reports, found cases (with their photos and templates) and reunions (`reunite_states`). Everything is state-based
and idempotent: applying the same state twice changes nothing, so a change that is sent, lost, resent or reordered
converges. docs/sync.md explains the protocol and the conflict rules for people.

Entry points (each owns its lock and its transaction; sync/ only speaks HTTP around them):
    server.py        receive_push (a kiosk's batch), serve_pull (a page of the change log), photos, audit entries
    kiosk.py         record_push_results, apply_pull_page, ...; KioskSync, a kiosk's sync run through a Link
One job each below them:
    bundle.py        the typed bundle and flag state, built from the registry's rows
    reunite_states.py  the typed lost report, found case and reunion, built from the registry's rows
    messages.py      what the two sides say: pushed changes and their answers, pulled pages
    rows.py          registry rows built from arriving states (one builder per table); clock correction
    rules.py         the conflict rules both sides apply (numbers, merged owners, flag decisions, erasures)
    shadows.py       kiosk: the last agreed state of each dog
    push.py          kiosk: the outgoing changes, what the server's answer changes here
    changelog.py     server: the change log (sequence, lock) and the pull page
    server_apply.py  server: one pushed change applied, with per-field last-writer-wins
    bulk_push.py     server: the common case of a push in bulk
    lookalikes.py    server: a pushed nose already registered -> a review flag
    reunite_apply.py both sides: a pushed (server) or pulled (kiosk) lost report, found case or reunion applied
    pull.py          kiosk: a pulled page applied
The tables are in core/registry/models.py (SyncLog, SyncReceived, SyncEntity, SyncIdMap).
"""
