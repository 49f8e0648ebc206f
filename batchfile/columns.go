package batchfile

import "github.com/fahuo/fahuo/models"

// The keys of the platform's columns, as they appear in Row.Values. They
// match the GraphQL input fields so that a file row and a typed row can
// share one code path.
const (
	KeyOrderNumber    = "orderNumber"
	KeyCarrier        = "carrier"
	KeyTrackingNumber = "trackingNumber"
)

// OrderNumberColumn is the order number as the platforms' order exports and
// our own templates name it. Sub-order numbers (子订单号) are left out on
// purpose: a batch acts on whole orders, and a file that only has sub-order
// numbers must be refused, not read as if they were orders.
func OrderNumberColumn() Column {
	return Column{Key: KeyOrderNumber, Headers: []string{
		"订单号", "订单编号", "订单号码", "主订单号", "主订单编号", "订单id",
		"order number", "orderNumber", "order_no", "order no", "order id",
	}}
}

// CarrierColumn is the carrier, given by code or by name (顺丰, SF); which
// one it is, and whether it is known, is for the carriers package to say.
func CarrierColumn() Column {
	return Column{Key: KeyCarrier, Headers: []string{
		"快递公司", "物流公司", "快递", "物流", "承运商", "承运公司", "快递公司名称", "物流公司名称",
		"快递公司编码", "物流公司编码", "快递编码", "物流编码",
		"carrier", "carrier code", "carrier name", "courier", "express company", "logistics company",
		"shipping company",
	}}
}

// TrackingNumberColumn is the carrier's tracking number.
func TrackingNumberColumn() Column {
	return Column{Key: KeyTrackingNumber, Headers: []string{
		"运单号", "快递单号", "物流单号", "运单编号", "快递单号码", "物流单号码", "快递运单号", "物流运单号",
		"tracking number", "trackingNumber", "tracking_no", "tracking no", "tracking",
		"waybill", "waybill number", "waybill no",
	}}
}

// ShipmentSpec is the file of batch shipping (S7) and batch appending (A4):
// one package per row. Extra columns are ignored because merchants fill the
// tracking numbers into the order export they downloaded.
func ShipmentSpec() Spec {
	return Spec{
		Columns: []Column{OrderNumberColumn(), CarrierColumn(), TrackingNumberColumn()},
		MaxRows: models.MaxBatchRows,
	}
}

// DelayReportSpec is the order list of a delay report (D1): the order
// number is the only column, and any other content is refused row by row.
func DelayReportSpec() Spec {
	return Spec{
		Columns:       []Column{OrderNumberColumn()},
		MaxRows:       models.MaxBatchRows,
		StrictColumns: true,
	}
}
