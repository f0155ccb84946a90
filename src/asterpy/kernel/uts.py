"""The system's names that uname(2) reports and sethostname/setdomainname change (one UTS namespace)."""

from typing import Final

from asterpy.lang import u64

NAME_MAX: Final = u64(64)      # __NEW_UTS_LEN: a name is at most 64 bytes (uname's fields are 65)


class UtsNames:
    """The host name and the NIS domain name."""

    hostname: bytearray
    domainname: bytearray

    def __init__(self) -> None:
        """The names at boot: "asterpy" and "(none)", as Linux without a configured domain."""
        self.hostname = name_of(b"asterpy")
        self.domainname = name_of(b"(none)")


def name_of(s: bytes) -> bytearray:
    """A name holding the bytes of s."""
    out = bytearray(0)
    for c in s:
        out.append(c)
    return out


uts: UtsNames | None = None


def uts_names() -> UtsNames:
    """The one set of names."""
    global uts
    u = uts
    if u is None:
        u = UtsNames()
        uts = u
    return u
