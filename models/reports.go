package models

import "time"

// DelayReportType is why a merchant cannot ship on time (延迟发货报备类型).
type DelayReportType string

// The report types (DOMAIN.md §8).
const (
	ReportMajorConference DelayReportType = "MAJOR_CONFERENCE"
	ReportMajorEvent      DelayReportType = "MAJOR_EVENT"
	ReportNaturalDisaster DelayReportType = "NATURAL_DISASTER"
	ReportEpidemic        DelayReportType = "EPIDEMIC"
	ReportMerchantFactor  DelayReportType = "MERCHANT_FACTOR"
	ReportSpecialOrder    DelayReportType = "SPECIAL_ORDER"
	ReportDualAddress     DelayReportType = "DUAL_ADDRESS"
)

// DelayReportTypes lists the types.
var DelayReportTypes = []DelayReportType{ReportMajorConference, ReportMajorEvent, ReportNaturalDisaster,
	ReportEpidemic, ReportMerchantFactor, ReportSpecialOrder, ReportDualAddress}

// RegionBased tells whether a type selects its orders by receiving regions
// (the carriers stopped taking parcels for a place) rather than by order
// numbers.
func (t DelayReportType) RegionBased() bool {
	switch t {
	case ReportMajorConference, ReportMajorEvent, ReportNaturalDisaster, ReportEpidemic:
		return true
	}
	return false
}

// ReportStatus is where a report's review stands.
type ReportStatus string

// The review states (D7).
const (
	ReportPending  ReportStatus = "PENDING_REVIEW"
	ReportApproved ReportStatus = "APPROVED"
	ReportRejected ReportStatus = "REJECTED"
)

// Delay report bounds (DOMAIN.md D1, D4, D7, D8).
const (
	MaxReportOrders      = 5000
	MaxEvidenceBytes     = 5 << 20
	MaxEvidenceFiles     = 9
	ReviewDue            = 48 * time.Hour
	ExemptionWorkingDays = 3
)

// DelayReport is a merchant's report of orders that cannot ship on time.
type DelayReport struct {
	ID                 int64
	ShopID             int64
	Type               DelayReportType
	Status             ReportStatus
	Reason             string
	Remark             string
	Regions            []string `gorm:"serializer:json"`
	NewShipBy          time.Time
	SubmittedAt        time.Time
	SubmittedBy        string
	DueAt              time.Time
	ReviewedAt         *time.Time
	ReviewedBy         *string
	RejectReason       *string
	EffectiveAt        *time.Time
	EffectiveConfirmed *bool
}

// Evidence is a file backing a report: an image or a PDF.
type Evidence struct {
	ID          int64
	ShopID      int64
	ReportID    int64
	Filename    string
	ContentType string
	Size        int64
	Data        []byte
}

// TableName names the evidence table.
func (Evidence) TableName() string { return "delay_report_evidence" }

// Announcement is the platform's assessment adjustment (考核调整公告):
// orders due in its time range whose receiving or ship-from region lies in
// its regions leave the figures, with no report needed (DOMAIN.md §9).
type Announcement struct {
	ID          int64
	Title       string
	Regions     []string `gorm:"serializer:json"`
	StartsAt    time.Time
	EndsAt      time.Time
	PublishedAt time.Time
	PublishedBy string
}
