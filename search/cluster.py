"""How the app reaches an Elasticsearch cluster: node URLs, retries, authentication, TLS,
and the shard layout of new index generations (the ``CREDIT_SEARCH_*`` settings).

Kept apart from ``search.elastic`` so building the options never imports the client (an
app on the embedded backend does not load it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ElasticOptions:
    """How to reach the cluster and how to lay out new index generations
    (``CREDIT_SEARCH_*`` settings; the defaults suit one local node)."""

    shards: int = 1
    replicas: int = 0
    request_timeout: float = 30.0
    max_retries: int = 2
    api_key: str = ""
    username: str = ""
    password: str = ""
    ca_certs: str = ""

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``Elasticsearch(...)`` besides the node URLs.

        Sniffing stays off: the nodes are listed (or sit behind a balancer) and a sniffed
        address may be one this host cannot reach. A request that fails on one node
        (refused, timed out, 502/503/504) is retried on the next, up to ``max_retries``.
        """
        kwargs: dict[str, Any] = {
            "request_timeout": self.request_timeout,
            "retry_on_timeout": True,
            "max_retries": self.max_retries,
            "sniff_on_start": False,
            "sniff_on_node_failure": False,
        }
        if self.api_key:
            kwargs["api_key"] = self.api_key
        elif self.username:
            kwargs["basic_auth"] = (self.username, self.password)
        if self.ca_certs:
            kwargs["ca_certs"] = self.ca_certs
        return kwargs


def elastic_options(config: Mapping[str, Any]) -> ElasticOptions:
    """The options a loaded settings table (``credit.config.load_settings``) asks for."""
    return ElasticOptions(
        shards=config["CREDIT_SEARCH_SHARDS"],
        replicas=config["CREDIT_SEARCH_REPLICAS"],
        request_timeout=config["CREDIT_SEARCH_TIMEOUT"],
        max_retries=config["CREDIT_SEARCH_MAX_RETRIES"],
        api_key=config["CREDIT_SEARCH_API_KEY"],
        username=config["CREDIT_SEARCH_USERNAME"],
        password=config["CREDIT_SEARCH_PASSWORD"],
        ca_certs=config["CREDIT_SEARCH_CA_CERTS"],
    )
