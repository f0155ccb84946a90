"""The `asterpy` command line."""
import click


@click.group()
def main() -> None:
    """asterpy: build, run and test the Kernel Python kernel."""


if __name__ == "__main__":
    main()
