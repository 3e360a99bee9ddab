# The worker image: a static binary on a distroless base.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/worker ./worker

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/worker /usr/local/bin/worker
# The shipped rules, for a worker started without a rules folder. To change
# rules without a new image, mount a folder over this path (compose: ./rules;
# Kubernetes: a ConfigMap, docs/kubernetes/complaintd.yaml): the worker
# reloads it every --reload-interval and on SIGHUP.
COPY rules /etc/complaintd/rules
EXPOSE 9464
USER nonroot
ENTRYPOINT ["/usr/local/bin/worker"]
CMD ["run", "--rules", "/etc/complaintd/rules"]
