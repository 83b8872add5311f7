using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OneThing.Grains.Diagnostics;

namespace OneThing.Grains.Cases;

/// <summary>
/// Every call to a case grain (requests, reminder ticks) runs in the case's log scope, so whatever the case and the
/// code under it log carries its id, and the call's span carries it as <c>onething.case_id</c>.
/// </summary>
internal sealed class CaseCallScope(ILoggerFactory loggers) : IIncomingGrainCallFilter
{
    private readonly ILogger _logger = loggers.CreateLogger("OneThing.Cases");

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.TargetContext?.GrainInstance is not CaseGrain)
        {
            await context.Invoke();
            return;
        }
        var caseId = context.TargetId.Key.ToString()!;
        Activity.Current?.SetTag(CaseLogScope.SpanAttribute, caseId);
        using (CaseLogScope.Begin(_logger, caseId))
        {
            await context.Invoke();
        }
    }
}
