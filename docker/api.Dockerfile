# aisle's query API (and its one-shot indexer job): serving dependencies only, no training stack.
#
# With internet: docker build -f docker/api.Dockerfile -t aisle .
# Where no registry is reachable, build on the Debian base that `aisle image python-base` makes:
#   docker build --network host --build-arg BASE_IMAGE="$(aisle image python-base)" -f docker/api.Dockerfile -t aisle .
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

# A virtualenv works the same on the official image and on Debian's externally managed Python.
RUN python3 -m venv /opt/aisle
# docker/extra-ca.crt (optional, not committed): the CA bundle of a TLS-intercepting proxy between
# this machine and PyPI. The bracket makes the COPY succeed without it.
COPY pyproject.toml constraints.txt README.md docker/extra-ca.cr[t] /src/
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
COPY aisle /src/aisle
COPY indexer /src/indexer
COPY query_api /src/query_api
COPY encoders /src/encoders
COPY kernel /src/kernel
RUN if [ -f /src/extra-ca.crt ]; then export PIP_CERT=/src/extra-ca.crt; fi \
    && /opt/aisle/bin/pip install --no-cache-dir -c /src/constraints.txt "/src[serve]" \
    && useradd --system --uid 1001 --home-dir /home/aisle --create-home aisle

USER aisle
ENV PATH=/opt/aisle/bin:$PATH
ENTRYPOINT ["aisle"]
CMD ["serve"]
