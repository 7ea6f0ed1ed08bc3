package alarms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/store"
)

// AWS limits of dashboards.
const (
	// MaxDashboardNameLength is the longest dashboard name (255 characters).
	MaxDashboardNameLength = 255
	// MaxWidgets is the most widgets on one dashboard (500).
	MaxWidgets = 500
	// ListDashboardsPage is how many dashboards ListDashboards returns per page (1,000).
	ListDashboardsPage = 1000
	// MaxWidgetWidth is a widget's widest grid width (24 columns).
	MaxWidgetWidth = 24
)

// ValidationMessage is one finding of PutDashboard's body validation.
type ValidationMessage struct {
	DataPath string
	Message  string
}

// Dashboard is a stored dashboard.
type Dashboard struct {
	Name     string
	ARN      string
	Body     string
	Modified time.Time
}

func (s *Service) dashboardARN(account, name string) string {
	return "arn:aws:cloudwatch::" + account + ":dashboard/" + name
}

func checkDashboardName(name string) error {
	if name == "" {
		return awserr.New("DashboardInvalidInputError", "The value for field DashboardName must not be empty.")
	}
	if len(name) > MaxDashboardNameLength {
		return awserr.New("DashboardInvalidInputError", "The value for field DashboardName must be at most %d characters long.", MaxDashboardNameLength)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return awserr.New("DashboardInvalidInputError", "The value for field DashboardName contains invalid characters. It can only contain alphanumerics, dash (-) and underscore (_).")
		}
	}
	return nil
}

// widgetTypes are the widget types of the dashboard body structure.
func isWidgetType(t string) bool {
	switch t {
	case "metric", "text", "log", "alarm", "explorer", "custom":
		return true
	}
	return false
}

// validateBody checks a dashboard body against the structure CloudWatch documents: a JSON
// object whose "widgets" array holds widgets with a known type, properties, and a position on
// the 24-column grid.
func validateBody(body string) []ValidationMessage {
	var doc map[string]any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		return []ValidationMessage{{DataPath: "", Message: "The dashboard body is not valid JSON: " + err.Error()}}
	}
	raw, ok := doc["widgets"]
	if !ok {
		return []ValidationMessage{{DataPath: "", Message: "Should have required property 'widgets'"}}
	}
	widgets, ok := raw.([]any)
	if !ok {
		return []ValidationMessage{{DataPath: "/widgets", Message: "Should be array"}}
	}
	var out []ValidationMessage
	if len(widgets) > MaxWidgets {
		out = append(out, ValidationMessage{DataPath: "/widgets", Message: fmt.Sprintf("Should NOT have more than %d items", MaxWidgets)})
	}
	for i, w := range widgets {
		path := fmt.Sprintf("/widgets/%d", i)
		obj, ok := w.(map[string]any)
		if !ok {
			out = append(out, ValidationMessage{DataPath: path, Message: "Should be object"})
			continue
		}
		typ, _ := obj["type"].(string)
		switch {
		case obj["type"] == nil:
			out = append(out, ValidationMessage{DataPath: path, Message: "Should have required property 'type'"})
		case !isWidgetType(typ):
			out = append(out, ValidationMessage{DataPath: path + "/type", Message: "Should be equal to one of the allowed values [metric, text, log, alarm, explorer, custom]"})
		}
		props, ok := obj["properties"].(map[string]any)
		if !ok {
			out = append(out, ValidationMessage{DataPath: path, Message: "Should have required property 'properties'"})
		} else {
			out = append(out, validateProperties(path+"/properties", typ, props)...)
		}
		for _, dim := range []string{"x", "y", "width", "height"} {
			v, present := obj[dim]
			if !present {
				continue
			}
			n, ok := v.(float64)
			if !ok || n != float64(int(n)) || n < 0 || (dim == "width" && (n < 1 || n > MaxWidgetWidth)) || (dim == "height" && n < 1) {
				out = append(out, ValidationMessage{DataPath: path + "/" + dim, Message: "Should be a valid grid " + dim})
			}
		}
	}
	return out
}

func validateProperties(path, typ string, props map[string]any) []ValidationMessage {
	switch typ {
	case "metric":
		_, hasMetrics := props["metrics"]
		_, hasAnnotations := props["annotations"]
		if !hasMetrics && !hasAnnotations {
			return []ValidationMessage{{DataPath: path, Message: "Should have required property 'metrics'"}}
		}
		if hasMetrics {
			list, ok := props["metrics"].([]any)
			if !ok {
				return []ValidationMessage{{DataPath: path + "/metrics", Message: "Should be array"}}
			}
			for j, m := range list {
				if _, ok := m.([]any); !ok {
					return []ValidationMessage{{DataPath: fmt.Sprintf("%s/metrics/%d", path, j), Message: "Should be array"}}
				}
			}
		}
	case "log":
		if _, ok := props["query"].(string); !ok {
			return []ValidationMessage{{DataPath: path, Message: "Should have required property 'query'"}}
		}
	case "text":
		if _, ok := props["markdown"].(string); !ok {
			return []ValidationMessage{{DataPath: path, Message: "Should have required property 'markdown'"}}
		}
	case "alarm":
		if _, ok := props["alarms"].([]any); !ok {
			return []ValidationMessage{{DataPath: path, Message: "Should have required property 'alarms'"}}
		}
	}
	return nil
}

// invalidDashboard is PutDashboard's error for a body that fails validation.
func invalidDashboard(msgs []ValidationMessage) error {
	var parts []string
	for _, m := range msgs {
		parts = append(parts, fmt.Sprintf("{ DataPath: %q, Message: %q }", m.DataPath, m.Message))
	}
	return awserr.New("DashboardInvalidInputError", "The dashboard body is invalid, there are %d validation errors: [%s]", len(msgs), strings.Join(parts, ", "))
}

// PutDashboard validates a dashboard body and creates or replaces the dashboard. It returns the
// validation messages of a body that is stored (none: a body with findings is refused).
func (s *Service) PutDashboard(ctx context.Context, account, name, body string) ([]ValidationMessage, error) {
	if err := checkDashboardName(name); err != nil {
		return nil, err
	}
	if body == "" {
		return nil, awserr.New("DashboardInvalidInputError", "The value for field DashboardBody must not be empty.")
	}
	if msgs := validateBody(body); len(msgs) > 0 {
		return nil, invalidDashboard(msgs)
	}
	row := &store.DashboardRow{Account: account, Name: name, ARN: s.dashboardARN(account, name), Body: body, Modified: s.cfg.Clock.Now().UnixMilli()}
	if err := s.cfg.Store.DashboardPut(ctx, &store.DashboardPutParams{Row: row}); err != nil {
		return nil, fmt.Errorf("put dashboard %q: %w", name, err)
	}
	return []ValidationMessage{}, nil
}

func dashboardNotFound(name string) error {
	return awserr.WithStatus(404, "DashboardNotFoundError", "Dashboard %s does not exist", name)
}

// GetDashboard returns one dashboard.
func (s *Service) GetDashboard(ctx context.Context, account, name string) (*Dashboard, error) {
	if name == "" {
		return nil, invalidValue("The parameter DashboardName is required.")
	}
	row, err := s.cfg.Store.DashboardGet(ctx, &store.DashboardGetParams{Account: account, Name: name})
	if errors.Is(err, store.ErrNotFound) {
		return nil, dashboardNotFound(name)
	} else if err != nil {
		return nil, fmt.Errorf("read dashboard %q: %w", name, err)
	}
	return &Dashboard{Name: row.Name, ARN: row.ARN, Body: row.Body, Modified: store.FromMillis(row.Modified)}, nil
}

// ListDashboards lists an account's dashboards by name, 1,000 a page.
func (s *Service) ListDashboards(ctx context.Context, account, prefix, token string) ([]Dashboard, string, error) {
	after, err := decodeToken(token)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.cfg.Store.DashboardList(ctx, &store.DashboardListParams{Account: account, NamePrefix: prefix, After: after, Limit: ListDashboardsPage + 1})
	if err != nil {
		return nil, "", fmt.Errorf("list dashboards: %w", err)
	}
	next := ""
	if len(rows) > ListDashboardsPage {
		rows = rows[:ListDashboardsPage]
		next = encodeToken(rows[len(rows)-1].Name)
	}
	out := make([]Dashboard, len(rows))
	for i, r := range rows {
		out[i] = Dashboard{Name: r.Name, ARN: r.ARN, Body: r.Body, Modified: store.FromMillis(r.Modified)}
	}
	return out, next, nil
}

// DeleteDashboards deletes dashboards, all or none: when one of them does not exist nothing is
// deleted.
func (s *Service) DeleteDashboards(ctx context.Context, account string, names []string) error {
	if len(names) == 0 {
		return invalidValue("The parameter DashboardNames is required.")
	}
	err := s.cfg.Store.DashboardDelete(ctx, &store.DashboardDeleteParams{Account: account, Names: names})
	if errors.Is(err, store.ErrNotFound) {
		for _, n := range names {
			if _, err := s.cfg.Store.DashboardGet(ctx, &store.DashboardGetParams{Account: account, Name: n}); errors.Is(err, store.ErrNotFound) {
				return dashboardNotFound(n)
			}
		}
		return dashboardNotFound(names[0])
	}
	if err != nil {
		return fmt.Errorf("delete dashboards: %w", err)
	}
	return nil
}
