# PartnerHub image: the web server (gunicorn), the Celery worker and beat all run from it
# (docker-compose.yml picks the command). Not built in CI: no Docker engine runs there.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Runtime dependencies first, exactly as pinned in pyproject.toml (no dev tools); this
# layer is rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .

# The portal's translations, compiled (locale/*/LC_MESSAGES/django.mo is not committed).
RUN pybabel -q compile -d locale -D django

# Static files, hashed and compressed for WhiteNoise (CompressedManifestStaticFilesStorage
# is used whenever DEBUG is off). The key is a placeholder for this step only.
ENV STATIC_ROOT=/app/staticfiles \
    VAR_DIR=/app/var \
    DJANGO_DEBUG=false
RUN SECRET_KEY=collectstatic-only-not-a-secret VAR_DIR=/tmp/build-var \
        python manage.py collectstatic --no-input \
    && rm -rf /tmp/build-var

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin partnerhub \
    && mkdir -p /app/var \
    && chown partnerhub /app/var
USER partnerhub

EXPOSE 8000
# gunicorn also reads WEB_CONCURRENCY (number of workers) and GUNICORN_CMD_ARGS.
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--timeout", "60"]
