// The network layer's charts: Open vSwitch and Neutron (their endpoints: values/shared.ts).
import { StackConfig } from "../../config";
import { Values } from "../../release/valueTree";
import { Secret } from "./shared";

export function openvswitchValues(): Values {
    return {};
}

export function neutronValues(cfg: Pick<StackConfig, "network">, metadataSecret: Secret, controlNodes: number): Values {
    const net = cfg.network;
    const [firstFlat] = net.flatNetworks;
    const metadata = { DEFAULT: { metadata_proxy_shared_secret: metadataSecret } };
    const values: Values = {
        conf: {
            plugins: {
                ml2_conf: { ml2_type_flat: { flat_networks: net.flatNetworks.join(",") } },
                openvswitch_agent: { ovs: { bridge_mappings: `${firstFlat}:${net.externalBridge}` } },
            },
            metadata_agent: metadata,
            ovn_agent: metadata,
            ovn_metadata_agent: metadata,
            // L3 HA needs two or more network nodes.
            ...(controlNodes < 2 ? { neutron: { DEFAULT: { l3_ha: false, max_l3_agents_per_router: 1 } } } : {}),
            ...(net.externalInterface ? { auto_bridge_add: { [net.externalBridge]: net.externalInterface } } : {}),
        },
    };
    if (net.tunnelInterface) values.network = { interface: { tunnel: net.tunnelInterface } };
    return values;
}
