"""Refusals of Python's dynamic features: eval/exec, dynamic attributes, generators, lambdas, closures, comprehensions, async."""
from __future__ import annotations

from .conftest import Refused


def test_eval(refused: Refused) -> None:
    refused("""
        def f() -> u64:
            return eval("1")
    """, 2, 11, "eval() is not part of Kernel Python")


def test_exec(refused: Refused) -> None:
    refused("""
        def f() -> None:
            exec("x = 1")
    """, 2, 4, "exec() is not part of Kernel Python")


def test_compile(refused: Refused) -> None:
    refused("""
        def f() -> None:
            code = compile("1", "f", "eval")
    """, 2, 11, "compile() is not part of Kernel Python")


def test_setattr(refused: Refused) -> None:
    d = refused("""
        class A:
            x: u64

        def f(a: A) -> None:
            setattr(a, "x", u64(1))
    """, 5, 4, "setattr() is not part of Kernel Python")
    assert "obj.field" in d.hint


def test_getattr(refused: Refused) -> None:
    refused("""
        class A:
            x: u64

        def f(a: A) -> u64:
            return getattr(a, "x")
    """, 5, 11, "getattr() is not part of Kernel Python")


def test_dunder_dict(refused: Refused) -> None:
    refused("""
        class A:
            x: u64

        def f(a: A) -> None:
            d = a.__dict__
    """, 5, 8, "dynamic attribute '__dict__'")


def test_dunder_class(refused: Refused) -> None:
    refused("""
        class A:
            x: u64

        def f(a: A) -> None:
            c = a.__class__
    """, 5, 8, "dynamic attribute '__class__'")


def test_yield(refused: Refused) -> None:
    refused("""
        def f() -> u64:
            yield u64(1)
    """, 2, 4, "generators (yield)")


def test_yield_as_value(refused: Refused) -> None:
    refused("""
        def f() -> None:
            x = yield
    """, 2, 8, "generators (yield)")


def test_yield_from(refused: Refused) -> None:
    refused("""
        def g() -> u64:
            return u64(1)

        def f() -> u64:
            yield from g()
    """, 5, 4, "generators (yield from)")


def test_lambda(refused: Refused) -> None:
    d = refused("""
        def f() -> None:
            g = lambda: 1
    """, 2, 8, "'Lambda' expressions are not part of Kernel Python")
    assert "module-level function" in d.hint


def test_nested_function(refused: Refused) -> None:
    d = refused("""
        def f() -> None:
            def g() -> None:
                pass
    """, 2, 4, "'FunctionDef' statements are not part of Kernel Python")
    assert "module level" in d.hint


def test_closure_over_local(refused: Refused) -> None:
    refused("""
        def f(n: u64) -> u64:
            def g() -> u64:
                return n
            return g()
    """, 2, 4, "'FunctionDef' statements")


def test_nonlocal(refused: Refused) -> None:
    refused("""
        def f() -> None:
            nonlocal x
    """, 2, 4, "nonlocal is not part of Kernel Python")


def test_list_comprehension(refused: Refused) -> None:
    d = refused("""
        def f() -> None:
            xs = [i for i in range(3)]
    """, 2, 9, "'ListComp' expressions are not part of Kernel Python")
    assert "append" in d.hint


def test_dict_comprehension(refused: Refused) -> None:
    refused("""
        def f() -> None:
            xs = {i: i for i in range(3)}
    """, 2, 9, "'DictComp' expressions")


def test_set_comprehension(refused: Refused) -> None:
    refused("""
        def f() -> None:
            xs = {i for i in range(3)}
    """, 2, 9, "'SetComp' expressions")


def test_generator_expression(refused: Refused) -> None:
    refused("""
        def f() -> None:
            g = (i for i in range(3))
    """, 2, 8, "'GeneratorExp' expressions")


def test_async_def(refused: Refused) -> None:
    refused("""
        async def f() -> None:
            pass
    """, 1, 0, "async functions are not part of Kernel Python")


def test_await(refused: Refused) -> None:
    refused("""
        def g() -> u64:
            return u64(1)

        def f() -> u64:
            return await g()
    """, 5, 11, "await is not part of Kernel Python")


def test_match(refused: Refused) -> None:
    d = refused("""
        def f(a: u64) -> None:
            match a:
                case 1:
                    pass
    """, 2, 4, "'Match' statements are not part of Kernel Python")
    assert "if/elif/else" in d.hint


def test_walrus(refused: Refused) -> None:
    refused("""
        def f(a: u64) -> None:
            if (b := a) > 0:
                pass
    """, 2, 8, "'NamedExpr' expressions")


def test_set_literal(refused: Refused) -> None:
    d = refused("""
        def f() -> None:
            s = {1, 2}
    """, 2, 8, "'Set' expressions")
    assert "Dict" in d.hint


def test_starred_in_display(refused: Refused) -> None:
    refused("""
        def f(xs: List[u64]) -> None:
            ys = [*xs]
    """, 2, 10, "'Starred' expressions")


def test_slicing(refused: Refused) -> None:
    refused("""
        def f(b: bytes) -> None:
            c = b[1:2]
    """, 2, 8, "slicing is not supported")
