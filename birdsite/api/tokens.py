"""Thin API views of the token resource: obtain a token with a password, list and revoke your tokens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from birdsite.api import selectors as token_selectors
from birdsite.api import services as token_services
from birdsite.api import token_serializers as s
from birdsite.api.base import ListApi
from birdsite.api.exceptions import ApiError
from birdsite.api.throttling import TokenIpThrottle


class TokenObtainApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenIpThrottle]

    @extend_schema(
        tags=["auth"],
        request=s.TokenRequestSerializer,
        responses={201: s.TokenCreatedSerializer},
        auth=[],
        summary="Make a new named token with a username and password",
    )
    def post(self, request: Request) -> Response:
        form = s.TokenRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=form.validated_data["username"],
            password=form.validated_data["password"],
        )
        if user is None:
            raise ApiError(code="invalid_credentials", message="Wrong username or password.")
        token, raw = token_services.token_create(user=user, name=form.validated_data["name"])
        body = {"token": raw, "id": token.pk, "name": token.name, "created_at": token.created_at}
        return Response(s.TokenCreatedSerializer(body).data, status=status.HTTP_201_CREATED)


class TokenListApi(ListApi):
    serializer_class = s.ApiTokenSerializer

    @extend_schema(
        tags=["auth"],
        operation_id="auth_tokens_list",
        responses=s.ApiTokenSerializer(many=True),
        summary="Your tokens",
    )
    def get(self, request: Request) -> Response:
        return self.paginated(request, token_selectors.tokens_for(user=request.user))


class TokenDetailApi(APIView):
    @extend_schema(tags=["auth"], responses={204: None}, summary="Revoke one of your tokens")
    def delete(self, request: Request, pk: int) -> Response:
        token = get_object_or_404(token_selectors.tokens_for(user=request.user), pk=pk)
        token_services.token_revoke(token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)
