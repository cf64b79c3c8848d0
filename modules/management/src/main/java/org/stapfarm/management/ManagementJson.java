package org.stapfarm.management;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The JSON mapping both ends of the management API use, so that they cannot drift apart. */
public final class ManagementJson {

    /** Unknown fields are ignored, so an older command can talk to a newer node. */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private ManagementJson() {
    }
}
