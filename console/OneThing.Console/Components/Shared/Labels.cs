using System.Globalization;
using System.Text.Json;

namespace OneThing.Console.Components.Shared;

/// <summary>The Chinese words for the API's codes, and how instants are shown (Beijing time, as the API writes them).</summary>
public static class Labels
{
    public static string CaseStatus(string? status) => status switch
    {
        "InProgress" => "办理中",
        "AwaitingSupplement" => "待补正",
        "Completed" => "已办结",
        "Rejected" => "不予受理/办理",
        "Withdrawn" => "已撤回",
        _ => status ?? "",
    };

    public static string TaskStatus(string? status) => status switch
    {
        "Waiting" => "等待前序事项",
        "Ready" => "待受理",
        "Accepted" => "办理中",
        "AwaitingSupplement" => "待补正",
        "Completed" => "已办结",
        "Rejected" => "已退回",
        "Cancelled" => "已取消",
        _ => status ?? "",
    };

    /// <summary>A timeline line's type (the case's event types, and the few the timeline names itself).</summary>
    public static string TimelineType(string? type) => type switch
    {
        "Submitted" => "提交申请",
        "CaseCompleted" => "办件办结",
        "CaseRejected" => "不予办理",
        "Withdrawn" => "撤回申请",
        "Evaluated" => "好差评",
        "TaskReady" => "事项可办理",
        "TaskAccepted" => "部门受理",
        "TaskCompleted" => "事项办结",
        "TaskRejected" => "事项退回",
        "TaskCancelled" => "事项取消",
        "SupplementRequested" => "一次性告知补正",
        "SupplementProvided" => "补正材料已提交",
        "DeadlineWarning" => "临近时限预警",
        "Overdue" => "超期",
        "Escalated" => "转办不成事窗口",
        "EscalationResolved" => "督办已处理",
        "DeadlineMoved" => "时限调整",
        "MaterialDeferred" => "容缺受理",
        "DeferredMaterialSupplied" => "容缺材料已补交",
        "DeferredMaterialLapsed" => "容缺材料逾期",
        "LowRatingFollowUpOpened" => "差评回访",
        "LowRatingResolved" => "差评整改完成",
        _ => type ?? "",
    };

    /// <summary>The words for the catalog's enum options (the value itself when there are none).</summary>
    public static string Option(string? value) => value switch
    {
        "male" => "男",
        "female" => "女",
        "mother" => "随母",
        "father" => "随父",
        _ => value ?? "",
    };

    /// <summary>Department code → name, from <c>GET /api/departments</c>.</summary>
    public static Dictionary<string, string> DepartmentNames(Api.ApiAnswer? departments) => departments is { Ok: true }
        ? Items(departments.Body).ToDictionary(d => Text(d, "code"), d => Text(d, "name"), StringComparer.Ordinal)
        : new Dictionary<string, string>(StringComparer.Ordinal);

    public static string Rating(int rating) => rating switch
    {
        5 => "非常满意",
        4 => "满意",
        3 => "基本满意",
        2 => "不满意",
        1 => "非常不满意",
        _ => rating.ToString(CultureInfo.InvariantCulture),
    };

    public static string DeskSource(string? source) => source switch
    {
        "deadline" => "超期督办",
        "rating" => "差评回访",
        "applicant" => "申请人反映",
        _ => source ?? "",
    };

    /// <summary>An instant as the API wrote it (RFC 3339, Beijing time), shown to the minute.</summary>
    public static string When(JsonElement value) =>
        value.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
            ? at.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)
            : "—";

    public static string Text(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind != JsonValueKind.Null
            ? value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : value.ToString()
            : "";

    public static JsonElement Member(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) ? value : default;

    public static bool Flag(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.True;

    public static IEnumerable<JsonElement> Items(JsonElement element, string? property = null)
    {
        var list = property is null ? element : Member(element, property);
        return list.ValueKind == JsonValueKind.Array ? list.EnumerateArray() : [];
    }
}
