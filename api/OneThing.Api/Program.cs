using Microsoft.Extensions.DependencyInjection.Extensions;
using OneThing.Api.AccessLog;
using OneThing.Api.Auth;
using OneThing.Api.Calendar;
using OneThing.Api.Cases;
using OneThing.Api.Catalog;
using OneThing.Api.Departments;
using OneThing.Api.Documentation;
using OneThing.Api.Events;
using OneThing.Api.Health;
using OneThing.Api.Hosting;
using OneThing.Api.Ops;
using OneThing.Api.Problems;
using OneThing.Api.RateLimiting;
using OneThing.Api.Webhooks;
using OneThing.Grains.Common;
using OneThing.Grains.Diagnostics;
using OneThing.Grains.Hosting;
using OneThing.Silo.Diagnostics;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args);

// Bodies over 1 MiB are refused before they are read; materials travel as URIs, not as content.
// No Server header: the answer need not say what to attack. HTTPS comes from Kestrel's own configuration
// (Kestrel:Endpoints:Https, README "TLS").
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.Limits.MaxRequestBodySize = 1024 * 1024;
    kestrel.AddServerHeader = false;
});

// Both privacy keys are required in every environment (Development's come from appsettings.Development.json):
// without them no applicant row can be found and no sealed value opened, so the API refuses to start.
try
{
    builder.Services.AddSingleton(PrivacyKeys.Read(key => builder.Configuration[key]));
}
catch (PrivacyKeyException error)
{
    await Console.Error.WriteLineAsync($"onething-api: {error.Message}");
    return 2;
}

builder.AddOneThingCluster();
builder.Services.AddSingleton<GracefulDrain>();
builder.Services.AddHostedService(provider => provider.GetRequiredService<GracefulDrain>());
builder.AddOneThingTelemetry("onething-api");
builder.Services.AddSingleton(new ApiMetrics(countsAcknowledged: !OrleansClientSetup.HostsSilo(builder.Configuration)));
builder.Services.AddOneThingAuth();
var dashboard = OneThingDashboard.IsEnabled(builder.Configuration);
if (dashboard)
{
    builder.Services.AddOneThingDashboardAccess();
}
builder.Services.AddCaseAccessLog();
builder.Services.AddLatestItems();
builder.Services.AddOneThingWebhookOptions();
builder.Services.AddOneThingRateLimits();
builder.Services.AddDatabaseErrorRedaction();
builder.Services.AddProblemDetails();
builder.Services.AddExceptionHandler<UnavailableExceptionHandler>();
// A value that does not bind (page=abc) reaches the exception handler, whose 400 names the parameter, in every environment.
builder.Services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
builder.Services.ConfigureHttpJsonOptions(json => ViewJson.Apply(json.SerializerOptions));
builder.Services.AddOneThingOpenApi();
builder.Services.AddOneThingHsts();
// Statistics' default period and the fallback desk's overdue flags read the time; tests replace it.
builder.Services.TryAddSingleton(TimeProvider.System);

var app = builder.Build();

app.UseOneThingResponseHeaders();
app.UseRequestLog();
app.UseCaseRequestScope();
if (!app.Environment.IsDevelopment())
{
    app.UseHsts();
}
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseRateLimiter();
app.UseAuthorization();

app.MapOpenApi();
if (app.Environment.IsDevelopment())
{
    app.MapScalarApiReference();
}

app.MapHealth();
app.MapMetrics();
if (dashboard)
{
    app.MapOneThingDashboard();
}
app.MapOps();
app.MapFallbackDesk();
app.MapCatalog();
app.MapDepartmentCatalog();
app.MapCalendar();
app.MapCases();
app.MapCaseAccessLog();
app.MapEvents();
app.MapSubscriptions();
app.MapDepartmentWork();

app.Run();
return 0;

/// <summary>Entry point; public so that tests can host the API with WebApplicationFactory.</summary>
public partial class Program;
