# syntax=docker/dockerfile:1
# One image for the web site and the CPU worker (target "app"); the "gpu" target adds TensorFlow's
# CUDA libraries for the GPU worker. See docker-compose.yml.

FROM python:3.11-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    VAR_DIR=/app/var \
    MEDIA_ROOT=/app/media \
    BIRDSITE_CACHE=/opt/birdsite/cache

RUN groupadd --system --gid 10001 birdsite \
    && useradd --system --uid 10001 --gid birdsite --create-home --home-dir /home/birdsite birdsite

WORKDIR /app

# The pinned dependencies first, in their own layer, so a code change does not reinstall TensorFlow.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
# /app/var/models exists (owned by the app user) so the "models" volume mounted there is writable.
RUN pip install . \
    && rm -rf build ./*.egg-info \
    && mkdir -p /app/var/models /app/media /app/staticfiles "$BIRDSITE_CACHE" \
    && chown -R birdsite:birdsite /app/var /app/media /app/staticfiles "$BIRDSITE_CACHE"

USER birdsite
ENV HOME=/home/birdsite

# The ImageNet base weights are fetched and converted once, here, so no container downloads them.
RUN python -m classifier fetch-weights
# A throwaway key: settings would otherwise write a generated one into the image.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput

EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "birdsite.asgi:application"]


FROM app AS gpu

USER root
# Same TensorFlow as pyproject.toml, plus the CUDA/cuDNN wheels it needs to see the GPU.
RUN pip install "tensorflow[and-cuda]==2.21.0"
USER birdsite
