"""Refusals in signatures and calls: *args/**kwargs, missing annotations, returning nothing, calls of non-functions."""
from __future__ import annotations

from .conftest import Refused


def test_varargs_def(refused: Refused) -> None:
    d = refused("""
        def f(*args: u64) -> None:
            pass
    """, 1, 7, "*args and **kwargs are not part of Kernel Python")
    assert "parameter" in d.hint


def test_kwargs_def(refused: Refused) -> None:
    refused("""
        def f(**kw: u64) -> None:
            pass
    """, 1, 8, "*args and **kwargs are not part of Kernel Python")


def test_varargs_call(refused: Refused) -> None:
    refused("""
        def g(a: u64) -> None:
            pass

        def f(xs: List[u64]) -> None:
            g(*xs)
    """, 5, 6, "*args in calls is not part of Kernel Python")


def test_kwargs_call(refused: Refused) -> None:
    refused("""
        def g(a: u64) -> None:
            pass

        def f(d: Dict[u64, u64]) -> None:
            g(**d)
    """, 5, 6, "**kwargs in calls is not part of Kernel Python")


def test_keyword_only_parameters(refused: Refused) -> None:
    refused("""
        def f(a: u64, *, b: u64) -> None:
            pass
    """, 1, 0, "keyword-only parameters are not supported")


def test_missing_parameter_annotation(refused: Refused) -> None:
    d = refused("""
        def f(a) -> None:
            pass
    """, 1, 6, "parameter 'a' needs a type annotation")
    assert "a: u64" in d.hint


def test_missing_return_annotation(refused: Refused) -> None:
    d = refused("""
        def f(a: u64):
            pass
    """, 1, 0, "function 'f' needs a return annotation")
    assert "-> None" in d.hint


def test_unknown_annotation(refused: Refused) -> None:
    refused("""
        def f(a: float) -> None:
            pass
    """, 1, 9, "'float' is not a Kernel Python type")


def test_union_annotation(refused: Refused) -> None:
    refused("""
        def f(a: u32 | u64) -> None:
            pass
    """, 1, 9, "union types are not part of Kernel Python")


def test_optional_integer(refused: Refused) -> None:
    refused("""
        def f(a: Optional[u64]) -> None:
            pass
    """, 1, 9, "only objects can be None")


def test_return_nothing_from_value_function(refused: Refused) -> None:
    d = refused("""
        def f() -> u64:
            return
    """, 2, 4, "this function returns u64")
    assert "return" in d.hint


def test_fall_off_end_of_value_function(refused: Refused) -> None:
    refused("""
        def f(a: u64) -> u64:
            if a > 0:
                return a
    """, 1, 0, "can reach its end without returning a u64")


def test_return_value_from_none_function(refused: Refused) -> None:
    refused("""
        def f() -> None:
            return 5
    """, 2, 11, "expected None")


def test_call_local_variable(refused: Refused) -> None:
    refused("""
        def f(a: u64) -> None:
            a()
    """, 2, 4, "'a' is a local variable, not a function")


def test_function_of_objects_as_value(refused: Refused) -> None:
    refused("""
        def g(xs: List[u64]) -> None:
            pass

        def f() -> None:
            h = g
    """, 5, 8, "function 'g' takes List[u64]: it cannot be used as a value")


def test_exported_function_as_value(refused: Refused) -> None:
    refused("""
        @export("g_sym")
        def g(a: u64) -> u64:
            return a

        def f() -> None:
            h = g
    """, 6, 8, "exported or external function 'g' cannot be used as a value")


def test_callable_wrong_arguments(refused: Refused) -> None:
    refused("""
        def g(a: u64) -> u64:
            return a

        def f() -> u64:
            h = g
            return h(u64(1), u64(2))
    """, 6, 11, "h() takes 1 argument")


def test_table_of_mismatched_functions(refused: Refused) -> None:
    refused("""
        def g(a: u64) -> u64:
            return a

        def k(a: u32) -> u64:
            return u64(a)

        T: Final[Array[Callable[[u64], u64], 2]] = (g, k)
    """, 7, 47, "cannot initialise")


def test_undefined_name(refused: Refused) -> None:
    refused("""
        def f() -> u64:
            return missing
    """, 2, 11, "name 'missing' is not defined")


def test_non_constant_default(refused: Refused) -> None:
    refused("""
        def f(a: u64, b: u64 = a) -> None:
            pass
    """, 1, 23, "default values must be constants")


def test_exported_function_may_raise(refused: Refused) -> None:
    refused("""
        @export("kpy_f")
        def f(a: u64) -> u64:
            raise SysError(EINVAL)
    """, 2, 0, "exported function 'f' may raise SysError")
