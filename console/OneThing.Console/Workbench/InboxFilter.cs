using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using OneThing.Console.Api;

namespace OneThing.Console.Workbench;

/// <summary>The inbox's filters as the page's query carries them; the same query asks for the rows again when polling.</summary>
public sealed record InboxFilter(string? Status, string? Item, bool Overdue, bool Warning)
{
    public static readonly IReadOnlyList<(string Value, string Label)> Statuses =
    [
        ("", "全部未办结"), ("Ready", "待受理"), ("Accepted", "办理中"), ("AwaitingSupplement", "待补正"),
        ("Waiting", "等待前序事项"), ("Completed", "已办结"), ("Rejected", "已退回"), ("Cancelled", "已取消"),
    ];

    public static InboxFilter From(IQueryCollection query)
    {
        var status = query["status"].ToString();
        var item = query["item"].ToString().Trim();
        return new InboxFilter(Statuses.Any(s => s.Value == status && status.Length > 0) ? status : null, item.Length is > 0 and <= 64 ? item : null,
            query["overdue"] == "true", query["warning"] == "true");
    }

    public string Query()
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (Status is not null)
        {
            values["status"] = Status;
        }
        if (Item is not null)
        {
            values["item"] = Item;
        }
        if (Overdue)
        {
            values["overdue"] = "true";
        }
        if (Warning)
        {
            values["warning"] = "true";
        }
        return QueryHelpers.AddQueryString("", values);
    }

    public Task<ApiAnswer> LoadAsync(ConsoleApi api, string department) =>
        api.InboxAsync(department, Status, Item, Overdue ? true : null, Warning ? true : null);

    /// <summary>A tag naming what the API answered, so that a poll that sees the same rows moves no HTML.</summary>
    public static string ETagOf(ApiAnswer answer) =>
        $"W/\"{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{(int)answer.Status}:{(answer.Body.ValueKind == System.Text.Json.JsonValueKind.Undefined ? "" : answer.Body.GetRawText())}")))[..32]}\"";
}
