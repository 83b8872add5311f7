using System.Diagnostics;
using OneThing.Grains.Diagnostics;
using OneThing.Grains.Tasks;

namespace OneThing.Api.Hosting;

/// <summary>
/// A request on a case route (<c>{caseId}</c>, or a <c>{taskId}</c>, which names its case) runs in the case's log scope
/// and its span carries <c>onething.case_id</c>, so a failure's lines and its trace are found by case.
/// </summary>
public static class CaseRequestScope
{
    public const string Category = "OneThing.Api.Cases";

    /// <summary>Inside the request line and outside the exception handler, so the handler's lines are in the scope too.</summary>
    public static IApplicationBuilder UseCaseRequestScope(this IApplicationBuilder app)
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(Category);
        return app.Use(async (context, next) =>
        {
            if (CaseIdOf(context) is not { } caseId)
            {
                await next(context);
                return;
            }
            Tag(context, caseId);
            using (CaseLogScope.Begin(logger, caseId))
            {
                await next(context);
            }
        });
    }

    /// <summary>Names the case on the request's span (a submission learns its case id only once it has read the body).</summary>
    public static void Tag(HttpContext context, string caseId) =>
        (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpActivityFeature>()?.Activity ?? Activity.Current)
            ?.SetTag(CaseLogScope.SpanAttribute, caseId);

    private static string? CaseIdOf(HttpContext context)
    {
        var values = context.Request.RouteValues;
        if (values.TryGetValue("caseId", out var caseId) && caseId is string { Length: > 0 } id)
        {
            return id;
        }
        return values.TryGetValue("taskId", out var taskId) && taskId is string task && TaskIds.TryParse(task, out var owner, out _) ? owner : null;
    }
}
