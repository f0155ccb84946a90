"""The user-memory API's implementation: user addresses reached through a process's page tables.

`UserMemory` implements the methods `asterpy.kernel.caller.Caller` declares (copy_in, copy_out,
check_user, the integer and string accessors, zero_user, user_chunks' `user_page`) for an address
space (`asterpy.mm.uspace.UserSpace`). Every access goes through the page tables and the kernel's
direct map, never by dereferencing a user pointer: each page is checked to be a USER mapping (and
writable for a store), a page not touched yet or copy-on-write is resolved by asterpy.mm.fault as
the program's own fault would be, and anything else is EFAULT, not a kernel page fault. The copies
work whether or not the tables are loaded (another process's memory, /proc/PID/mem). It is the only
module besides asterpy.kernel.caller that maps user addresses (tests/unit/test_user_memory_api.py).
"""

from asterpy.lang import Ptr, SysError, memcpy, memset, u8, u32, u64
from asterpy.lang.errno import EFAULT
from asterpy.mm.paging import NO_PHYS, USER, WRITE
from asterpy.mm.uspace import PAGE, PAGE_MASK, USER_TOP, UserSpace
import asterpy.mm.fault as mmfault


class UserMemory(UserSpace):
    """An address space's user memory, with EFAULT for what the program could not access itself."""

    def user_page(self, va: u64, write: bool) -> u64:
        """The kernel (direct-map) address of user byte va, or EFAULT if it is not user-accessible."""
        if va >= USER_TOP:
            raise SysError(EFAULT)
        fl = self.space.flags_of(va)
        if (fl & USER) == 0 or (write and (fl & WRITE) == 0):
            # Not touched yet, copy-on-write, or really bad: the fault handler decides.
            if not mmfault.fault_in(self, va, write):
                raise SysError(EFAULT)
        return self.dm + self.space.translate(va)

    def copy_in(self, dst: u64, src: u64, n: u64) -> None:
        """Copy n bytes from user address src to kernel address dst; EFAULT if any is not mapped."""
        if src + n < src:
            raise SysError(EFAULT)
        done = u64(0)
        while done < n:
            va = src + done
            chunk = PAGE - (va & PAGE_MASK)
            if chunk > n - done:
                chunk = n - done
            memcpy(dst + done, self.user_page(va, False), chunk)
            done += chunk

    def copy_out(self, dst: u64, src: u64, n: u64) -> None:
        """Copy n bytes from kernel address src to user address dst; EFAULT unless all are writable."""
        if dst + n < dst:
            raise SysError(EFAULT)
        done = u64(0)
        while done < n:
            va = dst + done
            chunk = PAGE - (va & PAGE_MASK)
            if chunk > n - done:
                chunk = n - done
            memcpy(self.user_page(va, True), src + done, chunk)
            done += chunk

    def check_user(self, va: u64, n: u64, write: bool) -> None:
        """EFAULT unless all n bytes at user address va are mapped for user access (and writable)."""
        if n == 0:
            return
        if va + n < va or va + n > USER_TOP:
            raise SysError(EFAULT)
        page = va & ~PAGE_MASK
        while page < va + n:
            self.user_page(page, write)
            page += PAGE

    def put_byte(self, va: u64, b: u8) -> None:
        """Store one byte at user address va (EFAULT)."""
        Ptr[u8](self.user_page(va, True)).store(b)

    def get_u64(self, va: u64) -> u64:
        """The u64 at user address va (EFAULT)."""
        if (va & 7) == 0:
            return Ptr[u64](self.user_page(va, False)).load()
        v = u64(0)
        for i in range(u64(0), u64(8)):
            v |= u64(Ptr[u8](self.user_page(va + i, False)).load()) << (8 * i)
        return v

    def put_u64(self, va: u64, v: u64) -> None:
        """Store v at user address va (EFAULT)."""
        if (va & 7) == 0:
            Ptr[u64](self.user_page(va, True)).store(v)
            return
        for i in range(u64(0), u64(8)):
            Ptr[u8](self.user_page(va + i, True)).store(u8(v >> (8 * i)))

    def get_u8(self, va: u64) -> u8:
        """The byte at user address va (EFAULT)."""
        return Ptr[u8](self.user_page(va, False)).load()

    def get_u32(self, va: u64) -> u32:
        """The u32 at user address va (EFAULT)."""
        if (va & 3) == 0:
            return Ptr[u32](self.user_page(va, False)).load()
        v = u32(0)
        for i in range(u64(0), u64(4)):
            v |= u32(Ptr[u8](self.user_page(va + i, False)).load()) << u32(8 * i)
        return v

    def put_u32(self, va: u64, v: u32) -> None:
        """Store v at user address va (EFAULT)."""
        if (va & 3) == 0:
            Ptr[u32](self.user_page(va, True)).store(v)
            return
        for i in range(u64(0), u64(4)):
            Ptr[u8](self.user_page(va + i, True)).store(u8(v >> u32(8 * i)))

    def zero_user(self, va: u64, n: u64) -> None:
        """Zero n bytes at user address va (EFAULT, and nothing written, unless all are writable)."""
        self.check_user(va, n, True)
        done = u64(0)
        while done < n:
            a = va + done
            chunk = PAGE - (a & PAGE_MASK)
            if chunk > n - done:
                chunk = n - done
            memset(self.user_page(a, True), 0, chunk)
            done += chunk

    def put_bytes(self, va: u64, data: bytes) -> None:
        """Store the bytes of data at user address va (EFAULT)."""
        for i in range(u64(0), u64(len(data))):
            Ptr[u8](self.user_page(va + i, True)).store(data[i])

    def strncpy_from_user(self, dst: u64, va: u64, cap: u64) -> u64:
        """Copy the NUL-terminated string at user address va, NUL included, to kernel address dst,
        reading at most cap bytes; its length, or cap when no NUL came within cap bytes (EFAULT)."""
        n = u64(0)
        while n < cap:
            a = va + n
            k = self.user_page(a, False)
            chunk = PAGE - (a & PAGE_MASK)
            if chunk > cap - n:
                chunk = cap - n
            for i in range(u64(0), chunk):
                b = Ptr[u8](k + i).load()
                Ptr[u8](dst + n).store(b)
                if b == 0:
                    return n
                n += 1
        return cap

    def load_user(self, va: u64, src: u64, n: u64) -> None:
        """Copy n bytes at kernel address src to user va, page by page, ignoring write permission
        (exec's loader fills read-only segments too); EFAULT for a page not backed yet."""
        self.load_fill(va, src, n)

    def load_zero(self, va: u64, n: u64) -> None:
        """Zero n bytes at user va as load_user writes them: ignoring write permission (exec clears
        the .bss tail of a segment's last file page); EFAULT for a page not backed yet."""
        self.load_fill(va, u64(0), n)

    def load_fill(self, va: u64, src: u64, n: u64) -> None:
        """load_user's walk: copy from kernel address src, or zero when src is 0."""
        done = u64(0)
        while done < n:
            a = va + done
            chunk = PAGE - (a & PAGE_MASK)
            if chunk > n - done:
                chunk = n - done
            pa = self.space.translate(a)
            if pa == NO_PHYS:
                raise SysError(EFAULT)
            if src == 0:
                memset(self.dm + pa, 0, chunk)
            else:
                memcpy(self.dm + pa, src + done, chunk)
            done += chunk
