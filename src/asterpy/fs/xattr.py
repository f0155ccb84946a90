"""Extended attributes of an inode: name/value pairs (setxattr(2) and friends, syscall/fs_xattr.py).

The names live in the namespaces Linux's tmpfs keeps in memory: "user." (regular files and
directories only), "security." and "trusted."; the syscall layer checks which namespace a name is in
and who may touch it. Values are kept as given (at most XATTR_SIZE_MAX bytes each)."""

from typing import Final

from asterpy.lang import List, u64

XATTR_NAME_MAX: Final = u64(255)
XATTR_SIZE_MAX: Final = u64(65536)
XATTR_LIST_MAX: Final = u64(65536)


def same_name(a: bytearray, b: bytearray) -> bool:
    """Whether two names are equal."""
    if len(a) != len(b):
        return False
    for i in range(0, len(a)):
        if a[i] != b[i]:
            return False
    return True


class XattrSet:
    """The attributes of one inode, in the order they were made."""

    names: List[bytearray]
    values: List[bytearray]

    def __init__(self) -> None:
        """No attributes."""
        self.names = []
        self.values = []

    def find(self, name: bytearray) -> int:
        """The index of name, -1 if there is none."""
        for i in range(0, len(self.names)):
            if same_name(self.names[i], name):
                return i
        return -1

    def put(self, name: bytearray, value: bytearray) -> None:
        """Set name to value (made or replaced)."""
        i = self.find(name)
        if i >= 0:
            self.values[i] = value
        else:
            self.names.append(name)
            self.values.append(value)

    def remove(self, name: bytearray) -> bool:
        """Drop name; whether it was there."""
        i = self.find(name)
        if i < 0:
            return False
        self.names.pop(i)
        self.values.pop(i)
        return True
