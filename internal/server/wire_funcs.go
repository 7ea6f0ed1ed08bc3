package server

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	apilambda "github.com/ceap/ceap/internal/api/lambda"
	apis3 "github.com/ceap/ceap/internal/api/s3"
	"github.com/ceap/ceap/internal/funcs"
	"github.com/ceap/ceap/internal/objects"
	"github.com/ceap/ceap/internal/protocol"
	"github.com/ceap/ceap/internal/store"
)

// wireFuncs builds the Lambda service (code under Data/functions, output to the logs service,
// code from S3 through the objects service, AWS_ENDPOINT_URL pointing back at this server) and
// serves its API.
func wireFuncs(s *Server) error {
	fs, ok := s.store.(store.FuncStore)
	if !ok {
		return fmt.Errorf("store driver %s does not implement the function store", s.store.Driver())
	}
	cfg := funcs.Config{
		Store: fs, Dir: filepath.Join(s.cfg.Data, "functions"), Clock: s.clock, Log: s.log, Region: s.cfg.Region,
		Code: objectsCode{s}, Metrics: s.metrics, Endpoint: s.URL(), Credentials: s.functionCredentials,
	}
	if ls := s.logService(); ls != nil {
		cfg.Logs = ls
	}
	svc := funcs.New(cfg)
	s.handle(protocol.Lambda, apilambda.New(svc, s.log.With("component", "lambda-api")))
	s.component(protocol.Lambda, svc)
	return nil
}

// funcService returns the wired Lambda service (nil before wireFuncs ran), for Step Functions'
// lambda:invoke and the other services that invoke functions.
func (s *Server) funcService() *funcs.Service {
	for _, c := range s.components {
		if svc, ok := c.c.(*funcs.Service); ok {
			return svc
		}
	}
	return nil
}

// functionCredentials gives an account's functions the first configured access key of that
// account, or dummy keys when signatures are not checked.
func (s *Server) functionCredentials(account string) funcs.Credentials {
	for _, c := range s.cfg.Credentials {
		if s.cfg.AccountOf(c) == account {
			return funcs.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey}
		}
	}
	return funcs.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}
}

// objectsCode reads deployment packages from the objects service.
type objectsCode struct{ s *Server }

// Fetch reads one object whole.
func (o objectsCode) Fetch(ctx context.Context, account, bucket, key, version string) ([]byte, error) {
	h, ok := o.s.handlers[protocol.S3].(*apis3.Handler)
	if !ok {
		return nil, fmt.Errorf("the objects service is not wired")
	}
	out, err := h.Objects().GetObject(ctx, &objects.GetInput{Account: account, Bucket: bucket, Key: key, VersionID: version})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}
