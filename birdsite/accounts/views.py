from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from birdsite import ratelimits
from birdsite.accounts.forms import SignupForm
from birdsite.accounts.services import user_signup
from birdsite.errors import Refused, http_status
from birdsite.sightings import observers
from birdsite.sightings.forms import TimeZoneForm


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("photos:upload")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_signup(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                email=form.cleaned_data.get("email") or "",
                address=ratelimits.client_address(request),
            )
        except Refused as exc:
            form.add_error(None, exc.message)
            response = render(
                request, "registration/signup.html", {"form": form}, status=http_status(exc.code)
            )
            if retry_after := getattr(exc, "retry_after", None):
                response["Retry-After"] = str(retry_after)
            return response
        zone = request.POST.get("time_zone", "").strip()
        if zone in observers.time_zone_names():  # the browser's zone, sent by js/timezone.js
            observers.observer_set_time_zone(user=user, time_zone=zone)
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


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """The birder's settings: their time zone (first filled from the browser) and the places they named."""
    form = TimeZoneForm(request.POST if request.POST.get("action") == "time_zone" else None)
    if form.is_bound and form.is_valid():
        try:
            observers.observer_set_time_zone(user=request.user, time_zone=form.cleaned_data["time_zone"])
        except Refused as exc:
            form.add_error("time_zone", exc.message)
        else:
            messages.success(request, "Time zone saved.")
            return redirect("account")
    if request.method == "POST" and request.POST.get("action") == "forget_place":
        place_id = request.POST.get("place", "")
        if place_id.isdigit():
            observers.place_delete(user=request.user, place_id=int(place_id))
            messages.success(request, "Place forgotten.")
        return redirect("account")
    saved = observers.observer_zone_name(request.user)
    context = {
        "form": form,
        "time_zone": saved or "",
        "site_zone": str(timezone.get_default_timezone()),
        "zones": sorted(observers.time_zone_names()),
        "places": observers.places_for(request.user),
    }
    return render(request, "registration/account.html", context, status=400 if form.errors else 200)
