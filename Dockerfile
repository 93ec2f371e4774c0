# The gateway image: the `gateway` command, as developers run it, and nothing else.
# docker-compose.yml runs both `gateway serve` and `gateway reference-api` from it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

WORKDIR /src
# Only what the build needs: pyproject.toml names README.md as the project's readme.
COPY pyproject.toml README.md ./
COPY gateway/ gateway/
RUN pip install --no-cache-dir . \
    && useradd --system --create-home --uid 10001 gateway \
    && mkdir /data \
    && chown gateway:gateway /data

# /data is the non-root user's writable place: the SQLite file of the embedded (or
# standalone) reference API goes there, and a named volume mounted on it keeps
# this owner.
WORKDIR /data
USER gateway
ENV GATEWAY_HOST=0.0.0.0 \
    GATEWAY_REFERENCE_DB=/data/reference-api.sqlite3
EXPOSE 8000

ENTRYPOINT ["gateway"]
CMD ["serve"]
