from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.views import LoginView
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from birdsite.accounts import throttling
from birdsite.accounts.forms import SignupForm
from birdsite.accounts.services import user_signup


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("photos:upload")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = user_signup(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password1"],
            email=form.cleaned_data.get("email") or "",
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("photos:upload")
    return render(request, "registration/signup.html", {"form": form}, status=400 if form.errors else 200)


class ThrottledLoginView(LoginView):
    """Django's login view, refusing with 429 after too many failures (birdsite/accounts/throttling.py)."""

    redirect_authenticated_user = True

    def _who(self) -> dict[str, str]:
        username = self.request.POST.get("username", "")
        return {"address": self.request.META.get("REMOTE_ADDR", ""), "username": username}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if throttling.login_blocked(**self._who()):
            # An unbound form: the password is not even checked while blocked.
            form = self.get_form_class()(request, initial={"username": self._who()["username"]})
            message = "Too many failed attempts to log in. Please wait a while and try again."
            form._errors = ErrorDict({NON_FIELD_ERRORS: form.error_class([message])})
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(settings.LOGIN_FAILURE_WINDOW_SECONDS)
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        throttling.login_failed(**self._who())
        return super().form_invalid(form)
