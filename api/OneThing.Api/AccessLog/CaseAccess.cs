namespace OneThing.Api.AccessLog;

/// <summary>One read of a case's data: who (API key name, role, department), when, through which route.</summary>
public readonly record struct CaseAccess(string CaseId, DateTimeOffset At, string Role, string Name, string? Department, string Route);
