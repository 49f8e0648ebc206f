# Fahuo: one static binary (pure Go, no cgo) on a minimal base image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/fahuo .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/fahuo /fahuo
EXPOSE 8080
ENTRYPOINT ["/fahuo"]
