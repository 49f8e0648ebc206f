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

	"error." + string(models.CodeInvalidCredentials): {ZH: "邮箱或密码错误", EN: "Wrong e-mail or password"},
	"error." + string(models.CodeInvalidArgument):    {ZH: "输入有误，请检查后重试", EN: "Please check your input"},
	"error." + string(models.CodeForbidden):          {ZH: "无权进行此操作（角色不允许，或订单已签收/关闭超过 14 天）", EN: "Not allowed (your role, or the order ended over 14 days ago)"},
	"error." + string(models.CodeNotFound):           {ZH: "未找到该记录", EN: "Not found"},
	"error." + string(models.CodeInternal):           {ZH: "系统繁忙，请稍后再试", EN: "Something went wrong; please try again"},
	"error." + string(models.CodeQuotaExceeded):      {ZH: "今日查看收货信息的额度已用完", EN: "Today's quota of recipient reveals is used up"},
	"error." + string(models.CodeUnauthenticated):    {ZH: "请先登录", EN: "Please log in"},
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
