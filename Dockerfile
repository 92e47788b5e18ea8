# gdl for a classroom: the README's app command in a slim Python 3.11 image.
FROM python:3.11-slim

# GDL_SERVER_PATHS=0: students upload their IDX files; nobody can type a path on the server (README, classroom)
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 GDL_SERVER_PATHS=0
WORKDIR /app

# torch==2.13.0 is pinned; on a machine without a local CPU wheel, point pip at the CPU index, e.g.
#   docker build --build-arg PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu .
ARG PIP_EXTRA_INDEX_URL=""
COPY requirements.txt .
RUN pip install -r requirements.txt

# The app, the gdl package and the read-only assets (land mask, checkpoints) are baked into the image.
COPY . .
RUN useradd --create-home --uid 1000 gdl && chown -R gdl /app
USER gdl

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() == b'ok' else 1)"
CMD ["streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0"]
