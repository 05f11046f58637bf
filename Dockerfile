# syntax=docker/dockerfile:1
# DevoTracker's production image: one image for web (gunicorn), the Celery worker, Celery beat and
# the one-shot migrate job (see docker-compose.yml and docs/operations.md).

# --- Stage 1: compile the GOV.UK Frontend stylesheet (npm ci + npm run build) ------------------
FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# --- Stage 2: the application -------------------------------------------------------------------
FROM python:3.11-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/app/var \
    WEB_CONCURRENCY=3

# WeasyPrint (PDF reports) needs Pango and a font; psycopg2-binary brings its own libpq.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 devotracker \
 && useradd --system --uid 10001 --gid devotracker --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin devotracker

WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt

# The code stays owned by root (read-only for the service user); only VAR_DIR is writable.
COPY . .
COPY --from=assets /build/static/build/ static/build/
COPY --from=assets /build/node_modules/govuk-frontend/dist/govuk/ node_modules/govuk-frontend/dist/govuk/

# Static files are collected at build time with the production settings (hashed, compressed names
# for WhiteNoise). The key is a throwaway used only for this step: the real one comes from the
# environment at run time.
RUN PRODUCTION=true \
    SECRET_KEY=build-time-only-not-a-secret-collectstatic-0000000000000000 \
    ALLOWED_HOSTS=localhost \
    VAR_DIR=/tmp/build-var \
    python manage.py collectstatic --noinput \
 && rm -rf /tmp/build-var \
 && mkdir -p /app/var/media \
 && chown -R devotracker:devotracker /app/var

USER devotracker
EXPOSE 8000
# Workers: WEB_CONCURRENCY (gunicorn reads it). Logs go to stdout/stderr.
CMD ["gunicorn", "devotracker.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--forwarded-allow-ips", "*"]
