# seminar-bot's image: installs exactly what requirements.txt says (as Heroku does), runs as a
# non-root user, migrates the database, then serves. See README "Deployment".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=3000 \
    DATABASE_URL=sqlite:////data/seminar.db \
    PLAYGROUND_DB=/data/playground.db

WORKDIR /app
COPY requirements.txt pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY rules ./rules
COPY storage ./storage
RUN pip install -r requirements.txt
COPY manifest.yml course.toml ./
COPY deploy ./deploy

RUN useradd --system --uid 10001 --home-dir /app seminar \
    && mkdir /data && chown seminar /data
USER seminar

EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "deploy/healthcheck.py"]
CMD ["sh", "deploy/start.sh"]
