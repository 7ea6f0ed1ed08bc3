package cloudwatch

import (
	"context"

	"github.com/ceap/ceap/internal/protocol"
)

func (h *Handler) putDashboard(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		DashboardName string `json:"DashboardName"`
		DashboardBody string `json:"DashboardBody"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	msgs, err := h.svc.PutDashboard(ctx, r.Caller.Account, in.DashboardName, in.DashboardBody)
	if err != nil {
		return nil, err
	}
	type message struct {
		DataPath string `json:"DataPath"`
		Message  string `json:"Message"`
	}
	out := make([]message, len(msgs))
	for i, m := range msgs {
		out[i] = message{DataPath: m.DataPath, Message: m.Message}
	}
	return map[string]any{"DashboardValidationMessages": out}, nil
}

func (h *Handler) getDashboard(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		DashboardName string `json:"DashboardName"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	d, err := h.svc.GetDashboard(ctx, r.Caller.Account, in.DashboardName)
	if err != nil {
		return nil, err
	}
	return map[string]any{"DashboardArn": d.ARN, "DashboardBody": d.Body, "DashboardName": d.Name}, nil
}

func (h *Handler) listDashboards(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		DashboardNamePrefix string `json:"DashboardNamePrefix"`
		NextToken           string `json:"NextToken"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	list, next, err := h.svc.ListDashboards(ctx, r.Caller.Account, in.DashboardNamePrefix, in.NextToken)
	if err != nil {
		return nil, err
	}
	type entry struct {
		DashboardName string              `json:"DashboardName"`
		DashboardArn  string              `json:"DashboardArn"`
		LastModified  *protocol.Timestamp `json:"LastModified"`
		Size          int                 `json:"Size"`
	}
	out := make([]entry, len(list))
	for i, d := range list {
		out[i] = entry{DashboardName: d.Name, DashboardArn: d.ARN, LastModified: protocol.TS(d.Modified), Size: len(d.Body)}
	}
	res := map[string]any{"DashboardEntries": out}
	if next != "" {
		res["NextToken"] = next
	}
	return res, nil
}

func (h *Handler) deleteDashboards(ctx context.Context, r *protocol.Request) (any, error) {
	var in struct {
		DashboardNames []string `json:"DashboardNames"`
	}
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	return nil, h.svc.DeleteDashboards(ctx, r.Caller.Account, in.DashboardNames)
}
