"""Password hashers for tests: Django's PBKDF2 (same algorithm name and hash format), only cheaper to run."""

from __future__ import annotations

import functools

from django.contrib.auth.hashers import PBKDF2PasswordHasher

# 22 characters of Django's salt alphabet: as much entropy as the salts it makes (``must_update_salt``).
TEST_SALT = "birdsiteTestSalt0000aa"


@functools.cache
def _pbkdf2(password: str, salt: str, iterations: int) -> str:
    return PBKDF2PasswordHasher().encode(password, salt, iterations)


class MemoizedPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """The test process's hasher (tests/settings.py): Django's PBKDF2 at Django's rounds, so the hashes the
    tests store are the real thing for the live servers too, but with one salt and each (password, salt,
    rounds) computed once per run. A hash costs ~0.25 s; nearly every test creates users and login tests
    check the same few passwords again and again."""

    def salt(self) -> str:
        return TEST_SALT

    def encode(self, password: str, salt: str, iterations: int | None = None) -> str:
        return _pbkdf2(password, salt, iterations or self.iterations)


class QuickPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2 at 1,000 rounds for a live server that hashes many different passwords (the fuzzer's token
    requests, a dummy hash for each unknown user); it checks hashes of any rounds and never rewrites one."""

    iterations = 1_000

    def must_update(self, encoded: str) -> bool:
        return False
