using Microsoft.Extensions.Configuration;

namespace OneThing.Silo.Diagnostics;

/// <summary>The Orleans Dashboard: on by default, on silos (its profiler and grains) and on the API (its pages).</summary>
public static class OneThingDashboard
{
    /// <summary><c>false</c> on silos and APIs alike removes it: no grain-call profiler, no <c>/dashboard</c>.</summary>
    public const string EnabledKey = "OneThing:Dashboard:Enabled";

    public static bool IsEnabled(IConfiguration configuration) => configuration.GetValue(EnabledKey, defaultValue: true);
}
