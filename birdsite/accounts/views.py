from __future__ import annotations

from typing import Any

from django.contrib.auth import login
from django.contrib.auth.views import LoginView
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from birdsite import ratelimits
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
        login(request, user, backend="birdsite.accounts.backends.ThrottledModelBackend")
        return redirect("photos:upload")
    return render(request, "registration/signup.html", {"form": form}, status=400 if form.errors else 200)


class ThrottledLoginView(LoginView):
    """Django's login view; while the login throttle refuses (birdsite/accounts/throttling.py), a 429."""

    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().post(request, *args, **kwargs)
        except ratelimits.Throttled as exc:
            # An unbound form: the password was not even checked while blocked.
            form = self.get_form_class()(request, initial={"username": request.POST.get("username", "")})
            form._errors = ErrorDict({NON_FIELD_ERRORS: form.error_class([exc.message])})
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
