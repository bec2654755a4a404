"""Print the PostgreSQL test URL when the local server answers, nothing otherwise."""

import psycopg

URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def main() -> None:
    try:
        psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", connect_timeout=3).close()
    except psycopg.Error:
        return
    print(URL)


if __name__ == "__main__":
    main()
