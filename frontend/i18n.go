package frontend

import (
	"net/http"

	"github.com/fahuo/fahuo/models"
)

// Lang is a page language. Merchants and buyers read Chinese; English is a
// switch away for everyone else.
type Lang string

// The languages of the pages.
const (
	ZH Lang = "zh-CN"
	EN Lang = "en"
)

// langCookie remembers the language switch.
const langCookie = "fahuo_lang"

// langOf picks the language: ?lang= wins (and is remembered), then the
// cookie, then Chinese.
func langOf(w http.ResponseWriter, r *http.Request) Lang {
	if q := r.URL.Query().Get("lang"); q == string(EN) || q == string(ZH) {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: q, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode})
		return Lang(q)
	}
	if c, err := r.Cookie(langCookie); err == nil && c.Value == string(EN) {
		return EN
	}
	return ZH
}

// messages is the catalogue: every label and every error code's message, in
// both languages. Templates look text up here instead of holding strings.
var messages = map[string]map[Lang]string{
	"app.name":                 {ZH: "发货", EN: "Fahuo"},
	"app.tagline":              {ZH: "直播电商履约后台", EN: "Order fulfilment for live-commerce shops"},
	"login.title":              {ZH: "登录", EN: "Log in"},
	"login.email":              {ZH: "邮箱", EN: "E-mail"},
	"login.password":           {ZH: "密码", EN: "Password"},
	"login.submit":             {ZH: "登录", EN: "Log in"},
	"login.demo":               {ZH: "演示账号（密码 fahuo-demo）", EN: "Demo accounts (password fahuo-demo)"},
	"logout":                   {ZH: "退出登录", EN: "Log out"},
	"home.title":               {ZH: "工作台", EN: "Dashboard"},
	"home.hello":               {ZH: "你好，", EN: "Hello, "},
	"home.role":                {ZH: "角色", EN: "Role"},
	"home.shop":                {ZH: "店铺", EN: "Shop"},
	"home.orders":              {ZH: "最近订单", EN: "Latest orders"},
	"home.noOrders":            {ZH: "暂无订单", EN: "No orders yet"},
	"home.api":                 {ZH: "GraphQL 接口调试", EN: "GraphQL playground"},
	"order.number":             {ZH: "订单号", EN: "Order number"},
	"order.status":             {ZH: "状态", EN: "Status"},
	"order.total":              {ZH: "实付金额", EN: "Total"},
	"order.promise":            {ZH: "承诺发货时间", EN: "Ship by"},
	"order.region":             {ZH: "收货地区", EN: "Region"},
	"order.packages":           {ZH: "包裹", EN: "Packages"},
	"lang.switch":              {ZH: "English", EN: "中文"},
	"order.freight":            {ZH: "运费", EN: "freight"},
	"order.paidAt":             {ZH: "付款时间", EN: "Paid at"},
	"order.recipient":          {ZH: "收货信息", EN: "Recipient"},
	"order.lines":              {ZH: "商品", EN: "Items"},
	"order.noPackages":         {ZH: "尚未发货", EN: "Nothing shipped yet"},
	"recipient.name":           {ZH: "收货人", EN: "Name"},
	"recipient.phone":          {ZH: "手机号", EN: "Phone"},
	"recipient.address":        {ZH: "详细地址", EN: "Address"},
	"recipient.reveal":         {ZH: "查看完整信息", EN: "Reveal"},
	"recipient.revealHint":     {ZH: "每次查看计入店铺每日额度并记入操作日志", EN: "Each reveal counts against the shop's daily quota and is logged"},
	"recipient.revealed":       {ZH: "已显示完整收货信息（已记入操作日志）", EN: "Recipient shown in full (logged)"},
	"line.title":               {ZH: "商品名称", EN: "Item"},
	"line.quantity":            {ZH: "数量", EN: "Qty"},
	"line.price":               {ZH: "单价", EN: "Price"},
	"line.total":               {ZH: "小计", EN: "Subtotal"},
	"package.appended":         {ZH: "追加包裹", EN: "Appended"},
	"package.holds":            {ZH: "内含", EN: "holds"},
	"pkg.AWAITING_PICKUP":      {ZH: "待揽收", EN: "Awaiting pickup"},
	"pkg.ACCEPTED":             {ZH: "已揽件", EN: "Accepted"},
	"pkg.PICKED_UP":            {ZH: "已揽收", EN: "Picked up"},
	"pkg.IN_TRANSIT":           {ZH: "运输中", EN: "In transit"},
	"pkg.OUT_FOR_DELIVERY":     {ZH: "派送中", EN: "Out for delivery"},
	"pkg.DELIVERED":            {ZH: "已签收", EN: "Delivered"},
	"pkg.EXCEPTION":            {ZH: "异常", EN: "Exception"},
	"pkg.RETURNED":             {ZH: "已退回", EN: "Returned"},
	"role.OWNER":               {ZH: "店主", EN: "Owner"},
	"role.SHIPPER":             {ZH: "发货员", EN: "Shipper"},
	"role.SERVICE":             {ZH: "客服", EN: "Customer service"},
	"role.OPERATIONS":          {ZH: "运营", EN: "Operations"},
	"role.VIEWER":              {ZH: "只读", EN: "Viewer"},
	"role.BUYER":               {ZH: "消费者", EN: "Buyer"},
	"role.PLATFORM":            {ZH: "平台", EN: "Platform"},
	"status.PENDING_SHIPMENT":  {ZH: "待发货", EN: "Awaiting shipment"},
	"status.PARTIALLY_SHIPPED": {ZH: "部分发货", EN: "Partially shipped"},
	"status.SHIPPED":           {ZH: "已发货", EN: "Shipped"},
	"status.DELIVERED":         {ZH: "已签收", EN: "Delivered"},
	"status.CLOSED":            {ZH: "交易关闭", EN: "Closed"},

	"action.search":                  {ZH: "查询", EN: "Search"},
	"announcement.from":              {ZH: "开始时间", EN: "From"},
	"announcement.to":                {ZH: "结束时间", EN: "To"},
	"announcement.publish":           {ZH: "发布公告", EN: "Publish"},
	"announcement.title":             {ZH: "公告标题", EN: "Title"},
	"append.submit":                  {ZH: "追加包裹", EN: "Append package"},
	"batch.append":                   {ZH: "批量补发（追加包裹）", EN: "Batch append"},
	"batch.ship":                     {ZH: "批量发货", EN: "Batch ship"},
	"batch.detail":                   {ZH: "说明", EN: "Detail"},
	"batch.downloadRefused":          {ZH: "下载失败行（修改后可重新上传）", EN: "Download the refused rows (fix and upload again)"},
	"batch.failed":                   {ZH: "失败", EN: "Failed"},
	"batch.succeeded":                {ZH: "成功", EN: "Succeeded"},
	"batch.hint":                     {ZH: "上传 CSV 或 Excel（.xlsx）文件：订单号、快递公司、快递单号三列，可带表头，最多 5000 行。", EN: "Upload a CSV or Excel (.xlsx) file with order number, carrier and tracking number; a header row is fine; at most 5000 rows."},
	"batch.line":                     {ZH: "行号", EN: "Line"},
	"batch.ok":                       {ZH: "成功", EN: "OK"},
	"batch.outcome":                  {ZH: "结果", EN: "Outcome"},
	"batch.result":                   {ZH: "处理结果", EN: "Result"},
	"batch.upload":                   {ZH: "上传并处理", EN: "Upload"},
	"line.remaining":                 {ZH: "待发数量", EN: "To ship"},
	"list.all":                       {ZH: "全部", EN: "All"},
	"list.next":                      {ZH: "下一页", EN: "Next page"},
	"list.total":                     {ZH: "共计", EN: "Total"},
	"nav.announcements":              {ZH: "考核调整公告", EN: "Announcements"},
	"nav.batch":                      {ZH: "批量发货", EN: "Batch shipping"},
	"nav.myOrders":                   {ZH: "我的订单", EN: "My orders"},
	"nav.orders":                     {ZH: "订单管理", EN: "Orders"},
	"nav.reports":                    {ZH: "延迟发货报备", EN: "Delay reports"},
	"nav.review":                     {ZH: "报备审核", EN: "Report review"},
	"order.history":                  {ZH: "操作记录", EN: "History"},
	"order.refund":                   {ZH: "售后", EN: "After-sales"},
	"order.report":                   {ZH: "报备", EN: "Delay report"},
	"order.trackingLink":             {ZH: "物流链接", EN: "Tracking link"},
	"order.trackingLinkOpen":         {ZH: "打开物流页", EN: "Open the tracking page"},
	"order.trackingLinkHint":         {ZH: "无需登录即可查看包裹与物流轨迹", EN: "shows the packages and their scans without a login"},
	"package.interceptRequired":      {ZH: "需拦截", EN: "Intercept required"},
	"package.intercepted":            {ZH: "已拦截", EN: "Intercepted"},
	"package.markIntercepted":        {ZH: "标记已拦截", EN: "Mark intercepted"},
	"package.trackingNumber":         {ZH: "快递单号", EN: "Tracking number"},
	"refund.approve":                 {ZH: "同意退款", EN: "Approve refund"},
	"refund.reject":                  {ZH: "拒绝退款", EN: "Reject refund"},
	"refund.rejectReason":            {ZH: "拒绝原因（买家可见）", EN: "Reason (the buyer sees it)"},
	"refund.withdraw":                {ZH: "撤销退款申请", EN: "Withdraw the refund request"},
	"refund.reason":                  {ZH: "退款原因", EN: "Reason"},
	"refund.request":                 {ZH: "申请退款", EN: "Request a refund"},
	"report.approve":                 {ZH: "审核通过", EN: "Approve"},
	"report.reject":                  {ZH: "驳回", EN: "Reject"},
	"report.due":                     {ZH: "审核截止", EN: "Review due"},
	"report.effectiveAt":             {ZH: "免责生效时间", EN: "Exemption from"},
	"report.evidence":                {ZH: "凭证", EN: "Evidence"},
	"report.new":                     {ZH: "新增延迟报备", EN: "New delay report"},
	"report.newShipBy":               {ZH: "预计发货时间", EN: "New ship time"},
	"report.none":                    {ZH: "暂无报备", EN: "No reports"},
	"report.open":                    {ZH: "查看", EN: "Open"},
	"report.orderFile":               {ZH: "订单号文件（CSV/Excel，仅一列订单号）", EN: "Order numbers file (CSV/Excel, one column)"},
	"report.orderNumbers":            {ZH: "订单号（空格或逗号分隔）", EN: "Order numbers (separated by spaces or commas)"},
	"report.orders":                  {ZH: "订单", EN: "Orders"},
	"report.overdue":                 {ZH: "已超时", EN: "Overdue"},
	"report.reason":                  {ZH: "报备原因", EN: "Reason"},
	"report.regions":                 {ZH: "地区编码", EN: "Region codes"},
	"report.rejectReason":            {ZH: "驳回原因", EN: "Rejection reason"},
	"report.remark":                  {ZH: "备注", EN: "Remark"},
	"report.reviewed":                {ZH: "审核", EN: "Reviewed"},
	"report.submit":                  {ZH: "提交报备", EN: "Submit"},
	"report.submitted":               {ZH: "提交时间", EN: "Submitted"},
	"report.type":                    {ZH: "报备类型", EN: "Type"},
	"report.from":                    {ZH: "提交日期从", EN: "Submitted from"},
	"report.to":                      {ZH: "至", EN: "to"},
	"report.unconfirmed":             {ZH: "（节假日安排未公布，按周末计算）", EN: "(holiday schedule not yet published; weekends only)"},
	"ship.hint":                      {ZH: "可分多个包裹发货：为每个包裹填写快递单号和数量；只填一个包裹且数量为全部时整单发出。", EN: "Ship in one or several packages: give each its tracking number and quantities."},
	"ship.package":                   {ZH: "包裹", EN: "Package"},
	"ship.submit":                    {ZH: "确认发货", EN: "Ship"},
	"ship.title":                     {ZH: "发货", EN: "Ship"},
	"notice.shipped":                 {ZH: "已发货", EN: "Shipped"},
	"notice.appended":                {ZH: "已追加包裹", EN: "Package appended"},
	"notice.refundRequested":         {ZH: "已提交退款申请", EN: "Refund requested"},
	"notice.refundWithdrawn":         {ZH: "已撤销退款申请", EN: "Refund request withdrawn"},
	"notice.refundApproved":          {ZH: "已同意退款，交易关闭", EN: "Refund approved; the order is closed"},
	"notice.refundRejected":          {ZH: "已拒绝退款申请", EN: "Refund request rejected"},
	"notice.intercepted":             {ZH: "已标记拦截", EN: "Marked intercepted"},
	"refundStatus.NONE":              {ZH: "无", EN: "None"},
	"refundStatus.REQUESTED":         {ZH: "退款中", EN: "Refund requested"},
	"refundStatus.REFUNDED":          {ZH: "已退款", EN: "Refunded"},
	"reportStatus.PENDING_REVIEW":    {ZH: "待审核", EN: "Pending review"},
	"reportStatus.APPROVED":          {ZH: "已通过", EN: "Approved"},
	"reportStatus.REJECTED":          {ZH: "已驳回", EN: "Rejected"},
	"reportType.MAJOR_CONFERENCE":    {ZH: "大型会议", EN: "Major conference"},
	"reportType.MAJOR_EVENT":         {ZH: "重大赛事", EN: "Major event"},
	"reportType.NATURAL_DISASTER":    {ZH: "自然灾害", EN: "Natural disaster"},
	"reportType.EPIDEMIC":            {ZH: "疫情原因", EN: "Epidemic"},
	"reportType.MERCHANT_FACTOR":     {ZH: "商家因素", EN: "Merchant factor"},
	"reportType.SPECIAL_ORDER":       {ZH: "特殊订单", EN: "Special order"},
	"reportType.DUAL_ADDRESS":        {ZH: "双地址", EN: "Dual address"},
	"history.ship":                   {ZH: "发货", EN: "Shipped"},
	"history.appendPackage":          {ZH: "追加包裹", EN: "Appended a package"},
	"history.requestRefund":          {ZH: "申请退款", EN: "Refund requested"},
	"history.withdrawRefund":         {ZH: "撤销退款申请", EN: "Refund request withdrawn"},
	"history.approveRefund":          {ZH: "同意退款", EN: "Refund approved"},
	"history.rejectRefund":           {ZH: "拒绝退款", EN: "Refund rejected"},
	"history.markPackageIntercepted": {ZH: "拦截包裹", EN: "Package intercepted"},
	"history.delivered":              {ZH: "签收", EN: "Delivered"},

	"nav.figures":                {ZH: "考核数据", EN: "Figures"},
	"figures.onTimeRate":         {ZH: "及时发货率", EN: "On-time shipping rate"},
	"figures.pickupRate":         {ZH: "揽收异常率", EN: "Pickup anomaly rate"},
	"figures.due":                {ZH: "应发订单", EN: "Orders due"},
	"figures.onTime":             {ZH: "及时发货", EN: "On time"},
	"figures.late":               {ZH: "延迟发货", EN: "Late"},
	"figures.notYetDue":          {ZH: "未到期", EN: "Not yet due"},
	"figures.exemptReport":       {ZH: "报备免责", EN: "Exempt by report"},
	"figures.exemptAnnouncement": {ZH: "公告免责", EN: "Exempt by announcement"},
	"figures.shipped":            {ZH: "发出包裹", EN: "Packages shipped"},
	"figures.anomalies":          {ZH: "揽收异常", EN: "Pickup anomalies"},
	"figures.rateChart":          {ZH: "每日及时发货率", EN: "On-time rate per day"},
	"figures.capacityChart":      {ZH: "每日到期订单与发货能力", EN: "Orders due per day against capacity"},
	"figures.dailyCapacity":      {ZH: "每日发货能力", EN: "Daily capacity"},
	"figures.noCapacity":         {ZH: "未设置发货能力", EN: "No capacity set"},

	"nav.templates":         {ZH: "运费模板与商品", EN: "Templates & products"},
	"nav.products":          {ZH: "商品", EN: "Products"},
	"template.new":          {ZH: "新建运费模板", EN: "New shipping template"},
	"template.edit":         {ZH: "编辑运费模板", EN: "Shipping template"},
	"template.name":         {ZH: "模板名称", EN: "Name"},
	"template.shipFrom":     {ZH: "发货地", EN: "Ships from"},
	"template.shipFromCode": {ZH: "发货地区编码", EN: "Ship-from region code"},
	"template.pricing":      {ZH: "计价方式", EN: "Pricing"},
	"template.default":      {ZH: "默认运费", EN: "Default fee"},
	"template.nonDelivery":  {ZH: "不配送区域", EN: "Non-delivery regions"},
	"template.products":     {ZH: "使用商品数", EN: "Products"},
	"template.firstUnits":   {ZH: "首件/首重(克)", EN: "First units (pieces or g)"},
	"template.firstFee":     {ZH: "首费(元)", EN: "First fee (¥)"},
	"template.extraUnits":   {ZH: "续件/续重(克)", EN: "Each further units"},
	"template.extraFee":     {ZH: "续费(元)", EN: "Further fee (¥)"},
	"template.freeAmount":   {ZH: "满额包邮(元，可空)", EN: "Free shipping from (¥, optional)"},
	"template.pickerHint":   {ZH: "勾选省份即包含其下所有城市和区县", EN: "Checking a province covers every city and district under it"},
	"template.save":         {ZH: "保存模板", EN: "Save template"},
	"action.edit":           {ZH: "编辑", EN: "Edit"},
	"product.stock":         {ZH: "库存", EN: "Stock"},
	"product.template":      {ZH: "运费模板", EN: "Template"},
	"product.promise":       {ZH: "发货时效", EN: "Ship-time promise"},
	"product.new":           {ZH: "新建商品", EN: "New product"},
	"product.priceYuan":     {ZH: "价格(元)", EN: "Price (¥)"},
	"product.weight":        {ZH: "重量(克)", EN: "Weight (g)"},
	"product.presaleDays":   {ZH: "预售天数", EN: "Presale days"},
	"product.spotStock":     {ZH: "现货库存", EN: "Spot stock"},
	"product.create":        {ZH: "创建商品", EN: "Create product"},
	"promise.SPOT":          {ZH: "现货（48小时内发货）", EN: "Spot (ships in 48 h)"},
	"promise.PRESALE":       {ZH: "预售", EN: "Presale"},
	"promise.TIERED":        {ZH: "现货+预售阶梯发货", EN: "Spot + presale tiers"},
	"pricing.BY_PIECE":      {ZH: "按件", EN: "By piece"},
	"pricing.BY_WEIGHT":     {ZH: "按重量", EN: "By weight"},
	"unit.BY_PIECE":         {ZH: "件", EN: "pc"},
	"unit.BY_WEIGHT":        {ZH: "克", EN: "g"},
	"unit.days":             {ZH: "天", EN: "days"},

	"error." + string(models.CodeInvalidCredentials):     {ZH: "邮箱或密码错误", EN: "Wrong e-mail or password"},
	"error." + string(models.CodeInvalidArgument):        {ZH: "输入有误，请检查后重试", EN: "Please check your input"},
	"error." + string(models.CodeForbidden):              {ZH: "无权进行此操作（角色不允许，或订单已签收/关闭超过 14 天）", EN: "Not allowed (your role, or the order ended over 14 days ago)"},
	"error." + string(models.CodeNotFound):               {ZH: "未找到该记录", EN: "Not found"},
	"error." + string(models.CodeInternal):               {ZH: "系统繁忙，请稍后再试", EN: "Something went wrong; please try again"},
	"error." + string(models.CodeQuotaExceeded):          {ZH: "今日查看收货信息的额度已用完", EN: "Today's quota of recipient reveals is used up"},
	"error." + string(models.CodeUnauthenticated):        {ZH: "请先登录", EN: "Please log in"},
	"error." + string(models.CodeOrderClosed):            {ZH: "订单已关闭", EN: "The order is closed"},
	"error." + string(models.CodeOrderAlreadyShipped):    {ZH: "订单已全部发货，如需补发请使用追加包裹", EN: "The order is fully shipped; append a package instead"},
	"error." + string(models.CodeUnknownCarrier):         {ZH: "不支持的快递公司", EN: "Unknown carrier"},
	"error." + string(models.CodeInvalidTrackingNumber):  {ZH: "快递单号格式与所选快递公司不符", EN: "The tracking number does not fit the carrier's format"},
	"error." + string(models.CodeQuantityExceedsOrdered): {ZH: "发货数量超过订单数量", EN: "More units than were ordered"},
	"error." + string(models.CodeTrackingNumberInUse):    {ZH: "该快递单号已被其他订单使用", EN: "The tracking number is used by another order"},
	"error." + string(models.CodeAfterSaleInProgress):    {ZH: "订单售后处理中，暂不能发货", EN: "A refund is in progress; the order cannot ship"},
	"error." + string(models.CodeBatchTooLarge):          {ZH: "单次最多 5000 行", EN: "At most 5000 rows per batch"},
	"error." + string(models.CodeOrderNotShipped):        {ZH: "订单尚未发货，不能追加包裹", EN: "The order has not shipped; nothing to append to"},
	"error." + string(models.CodeOrderPartiallyShipped):  {ZH: "订单部分发货，请先完成发货再追加包裹", EN: "The order is partially shipped; finish shipping first"},
	"error." + string(models.CodeAppendWindowExpired):    {ZH: "已超过发货后 30 天的追加期限", EN: "More than 30 days since the order shipped"},
	"error." + string(models.CodeAppendLimitReached):     {ZH: "每个订单最多追加 20 个包裹", EN: "At most 20 appended packages per order"},
	"error." + string(models.CodeInvalidRegion):          {ZH: "地区编码无效", EN: "Unknown region"},
	"error." + string(models.CodeRegionNotDeliverable):   {ZH: "收货地址在不配送区域内", EN: "The address lies in a non-delivery region"},
	"error." + string(models.CodeTemplateConflict):       {ZH: "同一地区不能既设运费又设为不配送", EN: "A region cannot both have a fee and be non-delivery"},
	"error." + string(models.CodeTemplateInUse):          {ZH: "运费模板正被商品使用，不能删除", EN: "Products use this template; it cannot be deleted"},
	"error." + string(models.CodeTieredNotEligible):      {ZH: "店铺暂不满足阶梯发货条件", EN: "The shop is not eligible for tiered shipping"},
	"error." + string(models.CodeOutOfStock):             {ZH: "库存不足", EN: "Out of stock"},
	"error." + string(models.CodeInvalidFile):            {ZH: "文件格式不正确", EN: "The file cannot be read"},
	"error." + string(models.CodeOrderNotReportable):     {ZH: "只有待发货订单可以报备", EN: "Only orders awaiting shipment can be reported"},
	"error." + string(models.CodeOrderOutsideRegions):    {ZH: "订单收货地址不在报备地区内", EN: "The order's address is outside the report's regions"},
	"error." + string(models.CodeEvidenceRequired):       {ZH: "请上传至少一份凭证", EN: "Upload at least one piece of evidence"},
	"error." + string(models.CodeOrderCoveredByAnnounce): {ZH: "订单已在平台考核调整公告范围内，无需报备", EN: "A platform announcement already covers this order"},
	"error." + string(models.CodeDuplicateReport):        {ZH: "订单已在其他报备中", EN: "The order is already in a report"},
	"error." + string(models.CodeInvalidState):           {ZH: "当前状态不允许此操作", EN: "Not possible in the current state"},
}

// T returns the text for key in lang, falling back to Chinese, then to the
// key itself so a missing entry shows instead of vanishing.
func T(lang Lang, key string) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	if s, ok := m[lang]; ok {
		return s
	}
	return m[ZH]
}

// ruleText is a refusal as a form shows it: the code's text, then the
// domain's own message in brackets.
func ruleText(lang Lang, err error) string {
	msg := errorText(lang, models.ErrorCodeOf(err))
	if e, ok := models.AsError(err); ok && e.Message != "" {
		msg += "（" + e.Message + "）"
	}
	return msg
}

// errorText is the message a person reads for a refused rule.
func errorText(lang Lang, code models.ErrorCode) string {
	if _, ok := messages["error."+string(code)]; ok {
		return T(lang, "error."+string(code))
	}
	return T(lang, "error."+string(models.CodeInternal))
}
