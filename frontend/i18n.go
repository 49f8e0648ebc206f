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

// errorText is the message a person reads for a refused rule.
func errorText(lang Lang, code models.ErrorCode) string {
	if _, ok := messages["error."+string(code)]; ok {
		return T(lang, "error."+string(code))
	}
	return T(lang, "error."+string(models.CodeInternal))
}
