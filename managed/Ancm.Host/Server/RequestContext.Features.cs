// IFeatureCollection over this object: the server's own features are fields
// (initially this object, replaceable by middleware such as response
// compression), everything else the pipeline adds goes into a small dictionary.
using System;
using System.Collections;
using System.Collections.Generic;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Ancm.Host.Server;

internal abstract partial class RequestContext : IFeatureCollection
{
    private object? _requestFeature;
    private object? _responseFeature;
    private object? _responseBodyFeature;
    private object? _lifetimeFeature;
    private object? _connectionFeature;
    private object? _bodyDetectionFeature;
    private object? _maxBodySizeFeature;
    private object? _bodyControlFeature;
    private object? _upgradeFeature;
    private object? _extendedConnectFeature;
    private object? _serverVariablesFeature;
    private object? _bodyPipeFeature;
    private object? _requestTrailersFeature;
    private object? _requestIdentifierFeature;
    private object? _minDataRateFeature;
    // Offered per request: HTTP/2 only (RequestContext.Http2Features.cs), TLS only (RequestContext.Tls.cs).
    private object? _responseTrailersFeature;
    private object? _resetFeature;
    private object? _tlsHandshakeFeature;
    private object? _tlsConnectionFeature;
    private Dictionary<Type, object>? _otherFeatures;
    private int _featureRevision;

    private void InitializeFeatures()
    {
        _requestFeature = this;
        _responseFeature = this;
        _responseBodyFeature = this;
        _lifetimeFeature = this;
        _connectionFeature = this;
        _bodyDetectionFeature = this;
        _maxBodySizeFeature = this;
        _bodyControlFeature = this;
        _upgradeFeature = this;
        _extendedConnectFeature = this;
        _serverVariablesFeature = this;
        _bodyPipeFeature = this;
        _requestTrailersFeature = this;
        _requestIdentifierFeature = this;
        _minDataRateFeature = this;
    }

    bool IFeatureCollection.IsReadOnly => false;

    int IFeatureCollection.Revision => _featureRevision;

    object? IFeatureCollection.this[Type key]
    {
        get
        {
            if (key == typeof(IHttpRequestFeature)) return _requestFeature;
            if (key == typeof(IHttpResponseFeature)) return _responseFeature;
            if (key == typeof(IHttpResponseBodyFeature)) return _responseBodyFeature;
            if (key == typeof(IHttpRequestLifetimeFeature)) return _lifetimeFeature;
            if (key == typeof(IHttpConnectionFeature)) return _connectionFeature;
            if (key == typeof(IHttpRequestBodyDetectionFeature)) return _bodyDetectionFeature;
            if (key == typeof(IHttpMaxRequestBodySizeFeature)) return _maxBodySizeFeature;
            if (key == typeof(IHttpBodyControlFeature)) return _bodyControlFeature;
            if (key == typeof(IHttpUpgradeFeature)) return _upgradeFeature;
            if (key == typeof(IHttpExtendedConnectFeature)) return _extendedConnectFeature;
            if (key == typeof(IServerVariablesFeature)) return _serverVariablesFeature;
            if (key == typeof(IRequestBodyPipeFeature)) return _bodyPipeFeature;
            if (key == typeof(IHttpRequestTrailersFeature)) return _requestTrailersFeature;
            if (key == typeof(IHttpRequestIdentifierFeature)) return _requestIdentifierFeature;
            if (key == typeof(IHttpMinRequestBodyDataRateFeature)) return _minDataRateFeature;
            if (key == typeof(IHttpResponseTrailersFeature)) return _responseTrailersFeature;
            if (key == typeof(IHttpResetFeature)) return _resetFeature;
            if (key == typeof(ITlsHandshakeFeature)) return _tlsHandshakeFeature;
            if (key == typeof(ITlsConnectionFeature)) return _tlsConnectionFeature;
            return _otherFeatures is not null && _otherFeatures.TryGetValue(key, out var feature) ? feature : null;
        }
        set
        {
            _featureRevision++;
            if (key == typeof(IHttpRequestFeature)) _requestFeature = value;
            else if (key == typeof(IHttpResponseFeature)) _responseFeature = value;
            else if (key == typeof(IHttpResponseBodyFeature)) _responseBodyFeature = value;
            else if (key == typeof(IHttpRequestLifetimeFeature)) _lifetimeFeature = value;
            else if (key == typeof(IHttpConnectionFeature)) _connectionFeature = value;
            else if (key == typeof(IHttpRequestBodyDetectionFeature)) _bodyDetectionFeature = value;
            else if (key == typeof(IHttpMaxRequestBodySizeFeature)) _maxBodySizeFeature = value;
            else if (key == typeof(IHttpBodyControlFeature)) _bodyControlFeature = value;
            else if (key == typeof(IHttpUpgradeFeature)) _upgradeFeature = value;
            else if (key == typeof(IHttpExtendedConnectFeature)) _extendedConnectFeature = value;
            else if (key == typeof(IServerVariablesFeature)) _serverVariablesFeature = value;
            else if (key == typeof(IRequestBodyPipeFeature)) _bodyPipeFeature = value;
            else if (key == typeof(IHttpRequestTrailersFeature)) _requestTrailersFeature = value;
            else if (key == typeof(IHttpRequestIdentifierFeature)) _requestIdentifierFeature = value;
            else if (key == typeof(IHttpMinRequestBodyDataRateFeature)) _minDataRateFeature = value;
            else if (key == typeof(IHttpResponseTrailersFeature)) _responseTrailersFeature = value;
            else if (key == typeof(IHttpResetFeature)) _resetFeature = value;
            else if (key == typeof(ITlsHandshakeFeature)) _tlsHandshakeFeature = value;
            else if (key == typeof(ITlsConnectionFeature)) _tlsConnectionFeature = value;
            else if (value is null) _otherFeatures?.Remove(key);
            else (_otherFeatures ??= new Dictionary<Type, object>())[key] = value;
        }
    }

    TFeature? IFeatureCollection.Get<TFeature>() where TFeature : default =>
        (TFeature?)((IFeatureCollection)this)[typeof(TFeature)];

    void IFeatureCollection.Set<TFeature>(TFeature? instance) where TFeature : default =>
        ((IFeatureCollection)this)[typeof(TFeature)] = instance;

    IEnumerator<KeyValuePair<Type, object>> IEnumerable<KeyValuePair<Type, object>>.GetEnumerator()
    {
        if (_requestFeature is not null) yield return new(typeof(IHttpRequestFeature), _requestFeature);
        if (_responseFeature is not null) yield return new(typeof(IHttpResponseFeature), _responseFeature);
        if (_responseBodyFeature is not null) yield return new(typeof(IHttpResponseBodyFeature), _responseBodyFeature);
        if (_lifetimeFeature is not null) yield return new(typeof(IHttpRequestLifetimeFeature), _lifetimeFeature);
        if (_connectionFeature is not null) yield return new(typeof(IHttpConnectionFeature), _connectionFeature);
        if (_bodyDetectionFeature is not null) yield return new(typeof(IHttpRequestBodyDetectionFeature), _bodyDetectionFeature);
        if (_maxBodySizeFeature is not null) yield return new(typeof(IHttpMaxRequestBodySizeFeature), _maxBodySizeFeature);
        if (_bodyControlFeature is not null) yield return new(typeof(IHttpBodyControlFeature), _bodyControlFeature);
        if (_upgradeFeature is not null) yield return new(typeof(IHttpUpgradeFeature), _upgradeFeature);
        if (_extendedConnectFeature is not null) yield return new(typeof(IHttpExtendedConnectFeature), _extendedConnectFeature);
        if (_serverVariablesFeature is not null) yield return new(typeof(IServerVariablesFeature), _serverVariablesFeature);
        if (_bodyPipeFeature is not null) yield return new(typeof(IRequestBodyPipeFeature), _bodyPipeFeature);
        if (_requestTrailersFeature is not null) yield return new(typeof(IHttpRequestTrailersFeature), _requestTrailersFeature);
        if (_requestIdentifierFeature is not null) yield return new(typeof(IHttpRequestIdentifierFeature), _requestIdentifierFeature);
        if (_minDataRateFeature is not null) yield return new(typeof(IHttpMinRequestBodyDataRateFeature), _minDataRateFeature);
        if (_responseTrailersFeature is not null) yield return new(typeof(IHttpResponseTrailersFeature), _responseTrailersFeature);
        if (_resetFeature is not null) yield return new(typeof(IHttpResetFeature), _resetFeature);
        if (_tlsHandshakeFeature is not null) yield return new(typeof(ITlsHandshakeFeature), _tlsHandshakeFeature);
        if (_tlsConnectionFeature is not null) yield return new(typeof(ITlsConnectionFeature), _tlsConnectionFeature);
        if (_otherFeatures is not null)
        {
            foreach (var feature in _otherFeatures)
                yield return feature;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<KeyValuePair<Type, object>>)this).GetEnumerator();
}
