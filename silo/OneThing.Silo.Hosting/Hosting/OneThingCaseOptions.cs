using System.ComponentModel.DataAnnotations;

namespace OneThing.Silo.Hosting;

/// <summary>Settings of section <c>OneThing:Cases</c>: how the silo keeps case grains in memory.</summary>
public sealed class OneThingCaseOptions
{
    public const string SectionName = "OneThing:Cases";

    /// <summary>
    /// How long a case stays in memory after its last call. An open case waits days for departments while a citizen
    /// polls only around an action, so an idle case is written back to nothing (its state is already in PostgreSQL)
    /// and leaves memory; its deadline reminder wakes it when due. Orleans' default for other grains is 15 minutes,
    /// which with 200,000 open cases kept every case submitted in the last quarter hour resident. Orleans checks for
    /// idle grains once a minute, so the age must be longer than that.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:01", "1.00:00:00")]
    public TimeSpan CollectionAge { get; set; } = TimeSpan.FromMinutes(5);
}
