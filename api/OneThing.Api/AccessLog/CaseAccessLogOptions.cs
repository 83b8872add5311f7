using System.ComponentModel.DataAnnotations;

namespace OneThing.Api.AccessLog;

/// <summary>Section <c>OneThing:AccessLog</c>: how the API batches the rows of <c>onething_case_access_log</c>.</summary>
public sealed class CaseAccessLogOptions
{
    public const string SectionName = "OneThing:AccessLog";

    /// <summary>How often queued reads are written; also the most a crash can lose while the database answers.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Rows per COPY.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 2000;

    /// <summary>Reads held while the database does not answer; beyond it reads are served and their rows dropped (counted in a warning).</summary>
    [Range(1, 10_000_000)]
    public int QueueCapacity { get; set; } = 100_000;
}
