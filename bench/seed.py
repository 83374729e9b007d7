"""Seeding for the benchmarks: rows straight into the database the server under test uses.

SQLite (the file under the data directory) through the sqlite3 module, or PostgreSQL when
OKNO_BENCH_DATABASE_URL is set, through psql (no driver to install). Values are ints or plain
strings; strings are quoted as SQL literals.
"""
import os
import sqlite3
import subprocess


class Seed:
    def __init__(self, work):
        self.url = os.environ.get("OKNO_BENCH_DATABASE_URL") or None
        self.rows = []
        self.db = None if self.url else sqlite3.connect(f"{work}/data/okno.db", timeout=30)

    def execute(self, sql, args=()):
        if self.db is not None:
            self.db.execute(sql, args)
            return
        parts = sql.split("?")
        out = parts[0]
        for value, rest in zip(args, parts[1:]):
            literal = str(value) if isinstance(value, int) else "'" + str(value).replace("'", "''") + "'"
            out += literal + rest
        self.rows.append(out + ";")

    def commit(self):
        if self.db is not None:
            self.db.commit()
            return
        script = "BEGIN;\n" + "\n".join(self.rows) + "\nCOMMIT;\n"
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", self.url], input=script, text=True, check=True)
        self.rows = []
