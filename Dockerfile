FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 ERNSTFALL_HOME=/data
WORKDIR /app
# The blackout pack: DejaVu Sans for the printed notice (Arabic too), espeak-ng for the audio.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core espeak-ng \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY publisher ./publisher
COPY content_calendar ./content_calendar
COPY workers ./workers
RUN pip install --no-cache-dir '.[postgres]' \
    && useradd --system --home /data ernstfall && mkdir -p /data && chown ernstfall /data
USER ernstfall
EXPOSE 8080
CMD ["gunicorn", "--bind", "0.0.0.0:8080", "--workers", "2", "--threads", "16", "content_calendar.web:create_app()"]
