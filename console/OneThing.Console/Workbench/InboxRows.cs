using Microsoft.AspNetCore.Http.HttpResults;
using OneThing.Console.Api;
using OneThing.Console.Components.Shared;

namespace OneThing.Console.Workbench;

/// <summary>
/// <c>GET /workbench/inbox-rows</c>: the inbox's rows alone, for the page's poll. The console tags them with an ETag
/// of the API's answer, so a poll while nothing changed is a 304 with no body.
/// </summary>
public static class InboxRows
{
    public static async Task<Results<StatusCodeHttpResult, RazorComponentResult<InboxTable>>> GetAsync(HttpContext context, ConsoleApi api)
    {
        var department = context.User.FindFirst(ConsoleRoles.DepartmentClaim)?.Value ?? "";
        var filter = InboxFilter.From(context.Request.Query);
        var answer = await filter.LoadAsync(api, department);
        var etag = InboxFilter.ETagOf(answer);
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.ETag = etag;
        if (context.Request.Headers.IfNoneMatch == etag)
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }
        return new RazorComponentResult<InboxTable>(new { Answer = answer });
    }
}
