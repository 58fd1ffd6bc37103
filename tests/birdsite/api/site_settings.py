"""Settings of the API server the fuzzer runs against (``api_site`` in test_live.py): ``birdsite.settings``
with a quick password hasher (tests/hashers.py). Its ~40 token requests each hash a password
(a dummy one for an unknown user): 0.3 s apiece at Django's rounds, a quarter of the run. Nothing the fuzzer
checks depends on the rounds."""

from django.conf import global_settings

from birdsite.settings import *  # noqa: F403

PASSWORD_HASHERS = [
    "tests.hashers.QuickPBKDF2PasswordHasher",
    *(h for h in global_settings.PASSWORD_HASHERS if not h.endswith(".PBKDF2PasswordHasher")),
]
