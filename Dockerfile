# The dialua image: one static binary on distroless/static (CA certificates, a non-root user, no
# shell). Build with: docker build -t dialua .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The same build as the tests' binary (main_test.go): static, no cgo.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/dialua .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/dialua /usr/local/bin/dialua
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/dialua"]
