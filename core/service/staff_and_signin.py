"""Staff and sign-in: the kiosk's first administrator, signing a member in and out, staff accounts and what staff
may see and do (the rules are core/staff.py)."""

from __future__ import annotations

from core.actors import Actor
from core.errors import InvalidInput
from core.service.base import ServiceBase
from core.staff import StaffOut, StaffPermissions


class StaffAndSignIn(ServiceBase):
    def has_staff(self) -> bool:
        """Whether any staff account exists (the kiosk asks for the first administrator until one does)."""
        return self.staff.exists()

    def staff_names(self) -> list[str]:
        """The enabled members' names, for the sign-in page to offer."""
        return [m.name for m in self.staff.list(include_disabled=False)]

    def create_first_admin(self, name: str, pin: str) -> Actor:
        """The kiosk's first start: the first account, an administrator, made and signed in. Refused (Conflict)
        once any account exists."""
        self.staff.add(name, pin, "admin", first=True)
        return self.sign_in(name, pin)

    def sign_in(self, who: str, pin: str) -> Actor:
        """A member by name (or id) and PIN; the kiosk then acts as them. SignInFailed / AccountLocked say why not."""
        actor = self.staff.verify(who, pin)
        self.signed_in = actor
        return actor

    def sign_out(self, reason: str = "on_demand") -> None:
        """The kiosk locks: nobody is signed in any more (reason: on_demand | idle)."""
        actor, self.signed_in = self.signed_in, None
        if actor is not None:
            self.staff.note("lock", actor, reason)

    def add_staff(self, name: str, pin: str, role: str = "staff") -> StaffOut:
        by = self.actor()
        if self.staff.exists():
            self.access("manage")
        return self.staff.add(name, pin, role, by=by)

    def list_staff(self, include_disabled: bool = True) -> list[StaffOut]:
        self.access("manage")
        return self.staff.list(include_disabled=include_disabled)

    def disable_staff(self, who: str) -> StaffOut:
        self.access("manage")
        by = self.actor()
        with self.db.sessions() as s:
            target = self.staff.member(s, who)
        if by.kind == "staff" and target is not None and target.id == by.id:
            raise InvalidInput("You cannot disable your own account while signed in with it.", field="name",
                               reason="self")
        return self.staff.disable(who, by=by)

    def enable_staff(self, who: str) -> StaffOut:
        self.access("manage")
        return self.staff.enable(who, by=self.actor())

    def reset_staff_pin(self, who: str, pin: str) -> StaffOut:
        self.access("manage")
        return self.staff.reset_pin(who, pin, by=self.actor())

    def staff_permissions(self) -> StaffPermissions:
        return self.staff.permissions()

    def set_staff_permissions(self, permissions: StaffPermissions) -> StaffPermissions:
        self.access("manage")
        return self.staff.set_permissions(StaffPermissions.model_validate(permissions), by=self.actor())
