package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ceap/ceap/internal/ceaptest"
	"github.com/ceap/ceap/internal/config"
	"github.com/ceap/ceap/internal/server"
)

func TestHealthAndUnknownService(t *testing.T) {
	t.Parallel()
	srv := ceaptest.StartServer(t)
	resp, err := http.Get(srv.URL() + "/_ceap/health")
	if err != nil {
		t.Fatal(err)
	}
	var health struct {
		Status   string            `json:"status"`
		Store    string            `json:"store"`
		Services map[string]string `json:"services"`
	}
	json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if resp.StatusCode != 200 || health.Status != "ready" || health.Store != "sqlite" {
		t.Fatalf("health = %d %+v", resp.StatusCode, health)
	}

	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/", strings.NewReader("{}"))
	req.Header.Set("X-Amz-Target", "NoSuchService_2020.DoThing")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "UnknownServiceException") || resp.Header.Get("x-amzn-RequestId") == "" {
		t.Fatalf("unknown service: %d %s", resp.StatusCode, body)
	}
}

func TestHealthBeforeStartAndAfterStop(t *testing.T) {
	t.Parallel()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.Data = t.TempDir()
	srv, err := server.New(cfg, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	url := srv.URL()
	if err := srv.Stop(context.Background()); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if _, err := http.Get(url + "/_ceap/health"); err == nil {
		t.Fatalf("server still answers after Stop")
	}
}

func TestRefusesPublicListenerWithoutCredentials(t *testing.T) {
	t.Parallel()
	cfg := config.Default()
	cfg.Listen = "0.0.0.0:4566"
	if _, err := server.New(cfg, server.Options{}); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("err = %v, want a refusal to listen publicly", err)
	}
	cfg.Credentials = []config.Credential{{AccessKeyID: "AK", SecretAccessKey: "s"}}
	if _, err := server.New(cfg, server.Options{}); err != nil {
		t.Fatalf("with credentials: %v", err)
	}
}

func TestPostgresStore(t *testing.T) {
	t.Parallel()
	srv := ceaptest.StartServer(t, ceaptest.WithPostgres())
	if srv.Store().Driver() != "postgres" {
		t.Fatalf("driver = %s", srv.Store().Driver())
	}
}
