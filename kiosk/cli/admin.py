"""`savepets keys|orgs|devices ...`: the REST server's API keys, organisations and devices."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from kiosk.cli.common import (
    DataOption,
    DbOption,
    JsonOption,
    _database,
    app,
    errors_to_exit,
    fail,
    out,
)

keys_app = typer.Typer(help="API keys of the REST server (one per device, each with a role).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
orgs_app = typer.Typer(help="Organisations of the REST server: shelters, clinics, the app.", no_args_is_help=True)
app.add_typer(orgs_app, name="orgs")
devices_app = typer.Typer(help="Devices of the REST server: enroll a kiosk with a one-time code, list, revoke.",
                          no_args_is_help=True)
app.add_typer(devices_app, name="devices")


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="kiosk, vet, mobile or admin")],
    name: Annotated[str, typer.Option(help='Who holds it, e.g. "Shelter A kiosk 1"')],
    org: Annotated[str | None, typer.Option(help="The organisation (name or id) of the new device (default: the "
                                            "default organisation)")] = None,
    db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False,
) -> None:
    """Make a key for a new device. It is printed once: store it on the device now. For a kiosk, prefer
    `savepets devices enroll` (a one-time code the kiosk redeems itself)."""
    from sync.server.keys import KeyStore

    with errors_to_exit():
        info, key = KeyStore(_database(db, data_dir)).create(_role(role), name, org=org)
    if as_json:
        print(json.dumps({"id": info.id, "name": info.name, "role": info.role.value, "device_id": info.device_id,
                          "key": key}))
        return
    out.print(f"Created {info.role.value} key [bold]{info.id}[/] for {info.name}. The key (shown only now):")
    print(key)


@keys_app.command("list")
def keys_list(db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """All keys (never the secrets)."""
    from sync.server.keys import KeyStore

    with errors_to_exit():
        keys = KeyStore(_database(db, data_dir)).list()
    if as_json:
        print(json.dumps([{"id": k.id, "name": k.name, "role": k.role.value, "created_at": k.created_at.isoformat(),
                           "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None} for k in keys]))
        return
    t = Table("Id", "Role", "Name", "Created", "Revoked")
    for k in keys:
        t.add_row(k.id, k.role.value, k.name, k.created_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                  k.revoked_at.astimezone().strftime("%Y-%m-%d %H:%M") if k.revoked_at else "")
    out.print(t if keys else "No keys yet: savepets keys create --role admin --name ...")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id (from keys list)")],
                db: DbOption = None, data_dir: DataOption = None) -> None:
    """Revoke a key: it stops working at once on every server sharing the database."""
    from sync.server.keys import KeyStore

    with errors_to_exit():
        info = KeyStore(_database(db, data_dir)).revoke(key_id)
    out.print(f"Revoked {info.role.value} key {info.id} ({info.name}).")


def _role(role: str):
    from sync.server.keys import Role

    try:
        return Role(role)
    except ValueError:
        fail(f"Unknown role {role!r}: use kiosk, vet, mobile or admin.")


@orgs_app.command("add")
def orgs_add(name: Annotated[str, typer.Argument(help='e.g. "Seoul Animal Shelter"')],
             kind: Annotated[str, typer.Option(help="shelter, clinic, app or operator")] = "shelter",
             db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """Add an organisation: its devices edit its dogs and see its owners, and no one else's."""
    from sync.server.devices import Devices

    with errors_to_exit():
        org = Devices(_database(db, data_dir)).add_org(name, kind)
    if as_json:
        print(json.dumps({"id": org.id, "name": org.name, "kind": org.kind}))
        return
    out.print(f"Added {org.kind} [bold]{org.name}[/] ({org.id}). Enroll its kiosks with: savepets devices enroll "
              f"--org {json.dumps(org.name, ensure_ascii=False)} --role kiosk --name ...")


@orgs_app.command("list")
def orgs_list(db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """Every organisation and how many live devices it has."""
    from sync.server.devices import Devices

    with errors_to_exit():
        orgs = Devices(_database(db, data_dir)).orgs()
    if as_json:
        print(json.dumps([o.__dict__ for o in orgs], ensure_ascii=False))
        return
    t = Table("Id", "Name", "Kind", "Devices")
    for o in orgs:
        t.add_row(o.id, o.name, o.kind, str(o.devices))
    out.print(t if orgs else 'No organisations yet: savepets orgs add "Seoul Animal Shelter" --kind shelter')


@devices_app.command("enroll")
def devices_enroll(
    org: Annotated[str, typer.Option(help="The organisation (name or id)")],
    name: Annotated[str, typer.Option(help='The device, e.g. "Front desk kiosk"')],
    role: Annotated[str, typer.Option(help="kiosk, vet, mobile or admin")] = "kiosk",
    valid_hours: Annotated[float, typer.Option(help="How long the code may be redeemed")] = 24.0,
    db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False,
) -> None:
    """A one-time code for a new device. On the kiosk: savepets sync enroll --server URL --code CODE."""
    from sync.server.devices import Devices

    with errors_to_exit():
        info, code = Devices(_database(db, data_dir)).enroll(org, _role(role), name, valid_hours)
    if as_json:
        print(json.dumps({"code": code, "org": info.org_name, "role": info.role, "name": info.name,
                          "expires_at": info.expires_at.isoformat()}, ensure_ascii=False))
        return
    out.print(f"One-time code for {info.role} [bold]{info.name}[/] of {info.org_name}, valid until "
              f"{info.expires_at.astimezone().strftime('%Y-%m-%d %H:%M')} (shown only now):")
    print(code)
    out.print("On the device: savepets sync enroll --server https://... --code " + code)


@devices_app.command("list")
def devices_list(org: Annotated[str | None, typer.Option(help="Only this organisation's devices")] = None,
                 db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """Every device (never a key's secret)."""
    from sync.server.devices import Devices

    with errors_to_exit():
        devices = Devices(_database(db, data_dir)).list(org)
    if as_json:
        print(json.dumps([{**d.__dict__, "created_at": d.created_at.isoformat(),
                           "revoked_at": d.revoked_at.isoformat() if d.revoked_at else None} for d in devices],
                         ensure_ascii=False))
        return
    t = Table("Id", "Organisation", "Role", "Name", "Keys", "Revoked")
    for d in devices:
        t.add_row(d.id, d.org_name, d.role, d.name, str(d.keys),
                  d.revoked_at.astimezone().strftime("%Y-%m-%d %H:%M") if d.revoked_at else "")
    out.print(t if devices else "No devices yet: savepets devices enroll --org ... --name ...")


@devices_app.command("revoke")
def devices_revoke(device_id: Annotated[str, typer.Argument(help="The device's id or its first characters")],
                   db: DbOption = None, data_dir: DataOption = None) -> None:
    """Revoke a device (a stolen kiosk) and every key it holds: they stop working at once."""
    from sync.server.devices import Devices

    with errors_to_exit():
        info = Devices(_database(db, data_dir)).revoke(device_id)
    out.print(f"Revoked {info.role} device {info.id} ({info.name}, {info.org_name}).")
